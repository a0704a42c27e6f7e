package dev.sluice.node.management;

import java.lang.management.ManagementFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * When this node's JVM started and when its cluster member became Up, in epoch milliseconds: the
 * first instants of a restarted node's timeline, which {@code GET /replicas} reports next to each
 * replica's catch-up instants so that a benchmark can say where the seconds of a catch-up go.
 *
 * <p>The Up instant is recorded by a callback {@link NodeManagement#init} registers with the
 * cluster; when the member was Up already at registration (not the case for a node started by
 * {@code SluiceNode}, which registers before it joins), the registration time stands in for it.
 * Thread-safety: the instant is written once by the cluster's callback and read from any thread.
 */
public final class NodeStartTimes implements Extension {
  /** An instant that did not happen yet. */
  public static final long UNKNOWN = -1;

  private static final class Id extends ExtensionId<NodeStartTimes> {
    private static final Id INSTANCE = new Id();

    @Override
    public NodeStartTimes createExtension(ActorSystem<?> system) {
      return new NodeStartTimes();
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

  void memberUp(long epochMillis) {
    if (memberUpMillis == UNKNOWN) {
      memberUpMillis = epochMillis;
    }
  }
}
