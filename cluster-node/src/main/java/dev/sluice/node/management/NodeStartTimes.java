package dev.sluice.node.management;

import java.lang.management.ManagementFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;

/**
 * When this node's JVM started and when its cluster member became Up, in epoch milliseconds: the
 * first instants of a restarted node's timeline, which {@code GET /replicas} reports next to each
 * replica's catch-up instants so that a benchmark can say where the seconds of a catch-up go.
 *
 * <p>The Up instant is recorded by a callback registered with the cluster when the extension is
 * created. {@code sluice-defaults.conf} lists it in {@code pekko.actor.typed.extensions}, so a node
 * creates it with its ActorSystem, before it joins; an ActorSystem without that setting creates it
 * in {@link NodeManagement#init}, and if its member was Up already by then, the registration time
 * stands in for the Up instant. Thread-safety: the instant is written once by the cluster's
 * callback and read from any thread.
 */
public final class NodeStartTimes implements Extension {
  /** An instant that did not happen yet. */
  public static final long UNKNOWN = -1;

  /**
   * The extension's id; public with {@link #getInstance} so that Pekko can load it from {@code
   * pekko.actor.typed.extensions}.
   */
  public static final class Id extends ExtensionId<NodeStartTimes> {
    private static final Id INSTANCE = new Id();

    private Id() {}

    public static Id getInstance() {
      return INSTANCE;
    }

    @Override
    public NodeStartTimes createExtension(ActorSystem<?> system) {
      NodeStartTimes times = new NodeStartTimes();
      Cluster.get(Adapter.toClassic(system))
          .registerOnMemberUp(() -> times.memberUp(System.currentTimeMillis()));
      return times;
    }
  }

  private volatile long memberUpMillis = UNKNOWN;

  private NodeStartTimes() {}

  public static NodeStartTimes get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** For classes pekko-management constructs with the classic system. */
  public static NodeStartTimes get(org.apache.pekko.actor.ActorSystem system) {
    return get(Adapter.toTyped(system));
  }

  /** When the JVM started (RuntimeMXBean), in epoch milliseconds. */
  public long jvmStartMillis() {
    return ManagementFactory.getRuntimeMXBean().getStartTime();
  }

  /** When this node's cluster member became Up, in epoch milliseconds; {@link #UNKNOWN} before. */
  public long memberUpMillis() {
    return memberUpMillis;
  }

  private void memberUp(long epochMillis) {
    if (memberUpMillis == UNKNOWN) {
      memberUpMillis = epochMillis;
    }
  }
}
