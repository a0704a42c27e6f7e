package dev.sluice.node.cluster;

import dev.sluice.node.NodeSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;

/**
 * Finds out that this node formed a cluster of its own next to the real one, and gives way.
 *
 * <p>How an island forms: the first seed node, restarted while the others run, asks them to let it
 * in (InitJoin); when no answer comes within {@code seed-node-timeout} (a cold JVM's first TLS
 * handshakes on a loaded machine), it joins itself and forms a new cluster, with a controller
 * singleton of its own. Pekko never merges two clusters.
 *
 * <p>What this actor does: every node runs one at the well-known path {@value #PATH}. Every {@link
 * #INTERVAL}, once this node is Up, it sends {@link Query} to that path on every other configured
 * seed node (Artery carries messages between nodes of different clusters of one deployment: they
 * share the system name and the deployment's certificates) and answers such queries with its own
 * {@link ClusterView}. When a seed's view shows a different cluster that this one gives way to
 * ({@link ClusterView#isIslandNextTo}) in {@link #STRIKES} answers in a row, this node logs a
 * warning and downs itself: {@code SluiceNode.runBlocking} then starts it again as a new
 * incarnation, which joins through the seed nodes, whose InitJoin now gets an answer. Every member
 * of an island comes to the same verdict on its own, so an island of several nodes dissolves
 * entirely. The rule is the same on both sides, so of two clusters exactly one gives way.
 *
 * <p>Two answers in a row, not one: a view taken while members join or leave may be briefly
 * misleading; an island lasts. Seeds that do not answer (down, or not started) are ignored.
 *
 * <p>Thread-safety: an actor; its state is its own.
 */
public final class IslandProbe {
  /** The probe's name under {@code /system}. */
  public static final String NAME = "island-probe";

  static final String PATH = "/system/" + NAME;
  static final Duration INTERVAL = Duration.ofSeconds(5);
  static final int STRIKES = 2;

  public sealed interface Command {}

  /** Asks a node for the view of its cluster. */
  public record Query(ActorRef<Answer> replyTo) implements Command, NodeSerializable {}

  /** The view of the cluster that node {@code address} belongs to. */
  public record Answer(String address, ClusterView view) implements Command, NodeSerializable {}

  private enum Tick implements Command {
    INSTANCE
  }

  private IslandProbe() {}

  /**
   * @param nodeId this node's id, for the log line
   * @param seeds the configured seed nodes' addresses ({@code pekko://sluice@host:port}); this
   *     node's own is skipped
   */
  public static Behavior<Command> create(int nodeId, List<String> seeds) {
    return create(nodeId, seeds, INTERVAL);
  }

  static Behavior<Command> create(int nodeId, List<String> seeds, Duration interval) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  ctx.setLoggerName(IslandProbe.class);
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
                  return new Probing(ctx, nodeId, List.copyOf(seeds)).behavior();
                }));
  }

  /** The view of this node's cluster: empty unless this node is Up in it. */
  static ClusterView viewOf(Cluster cluster) {
    if (cluster.selfMember().status() != MemberStatus.up()) {
      return ClusterView.none();
    }
    List<Member> up =
        StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
            .filter(m -> m.status() == MemberStatus.up())
            .toList();
    List<String> members = new ArrayList<>();
    Member oldest = null;
    for (Member m : up) {
      members.add(unique(m));
      if (oldest == null || m.isOlderThan(oldest)) {
        oldest = m;
      }
    }
    return new ClusterView(members, oldest == null ? "" : oldest.address().toString());
  }

  static String unique(Member member) {
    return member.address() + "#" + member.uniqueAddress().longUid();
  }

  /** The one state: probing. Holds the strikes per seed. */
  private static final class Probing {
    private final ActorContext<Command> ctx;
    private final int nodeId;
    private final List<String> seeds;
    private final Cluster cluster;
    private final Map<String, Integer> strikes = new HashMap<>();

    Probing(ActorContext<Command> ctx, int nodeId, List<String> seeds) {
      this.ctx = ctx;
      this.nodeId = nodeId;
      this.seeds = seeds;
      this.cluster = Cluster.get(ctx.getSystem());
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(Tick.class, t -> onTick())
          .onMessage(Query.class, this::onQuery)
          .onMessage(Answer.class, this::onAnswer)
          .build();
    }

    private Behavior<Command> onTick() {
      if (cluster.selfMember().status() != MemberStatus.up()) {
        return Behaviors.same();
      }
      String self = cluster.selfMember().address().toString();
      Query query = new Query(ctx.getSelf().narrow());
      for (String seed : seeds) {
        if (!seed.equals(self)) {
          Adapter.toClassic(ctx.getSystem())
              .actorSelection(seed + PATH)
              .tell(query, org.apache.pekko.actor.ActorRef.noSender());
        }
      }
      return Behaviors.same();
    }

    private Behavior<Command> onQuery(Query query) {
      query.replyTo().tell(new Answer(cluster.selfMember().address().toString(), viewOf(cluster)));
      return Behaviors.same();
    }

    private Behavior<Command> onAnswer(Answer answer) {
      ClusterView ours = viewOf(cluster);
      String self = unique(cluster.selfMember());
      if (!ours.isIslandNextTo(answer.view(), self)) {
        strikes.remove(answer.address());
        return Behaviors.same();
      }
      int seen = strikes.merge(answer.address(), 1, Integer::sum);
      if (seen < STRIKES) {
        return Behaviors.same();
      }
      ctx.getLog()
          .warn(
              "Sluice node {} is on an island: its cluster {} (oldest {}) gives way to the cluster"
                  + " of seed node {}, {} (oldest {}), which it is not part of (seen {} times in a"
                  + " row); downing itself to rejoin through the seed nodes as a new incarnation",
              nodeId,
              ours.members(),
              ours.oldest(),
              answer.address(),
              answer.view().members(),
              answer.view().oldest(),
              seen);
      cluster.manager().tell(new Down(cluster.selfMember().address()));
      return Behaviors.stopped();
    }
  }
}
