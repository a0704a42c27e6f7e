package dev.sluice.node;

import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.replica.AppliedMetadata;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Tells the controller which node this is and how to reach it, and which nodes left the cluster.
 *
 * <p>Registration repeats on a timer: the controller singleton may move to another node and recover
 * from its journal, and a repeated {@code NodeUp} is idempotent. Every registration carries the
 * storage id of this node's data directory, so the controller learns at once when the node came
 * back on a wiped or replaced disk. A removed member is mapped to its node id through the
 * registered addresses in the latest metadata snapshot. Only a node that is Up itself reports
 * removals: one that is leaving sees every member go.
 */
public final class NodeMembership {
  private static final Duration REGISTER_EVERY = Duration.ofSeconds(3);

  public sealed interface Command {}

  private record Register() implements Command {}

  private record MemberRemoved(ClusterEvent.MemberRemoved event) implements Command {}

  private NodeMembership() {}

  public static Behavior<Command> create(
      int nodeId,
      NodeAddress self,
      StorageId storageId,
      ActorRef<Controller.Command> controller,
      AppliedMetadata metadata) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  ActorRef<ClusterEvent.MemberRemoved> adapter =
                      ctx.messageAdapter(ClusterEvent.MemberRemoved.class, MemberRemoved::new);
                  Cluster.get(ctx.getSystem())
                      .subscriptions()
                      .tell(Subscribe.create(adapter, ClusterEvent.MemberRemoved.class));
                  timers.startTimerWithFixedDelay(new Register(), Duration.ZERO, REGISTER_EVERY);
                  return running(ctx, timers, nodeId, self, storageId, controller, metadata);
                }));
  }

  private static Behavior<Command> running(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      int nodeId,
      NodeAddress self,
      StorageId storageId,
      ActorRef<Controller.Command> controller,
      AppliedMetadata metadata) {
    Map<Integer, Integer> missingTicks = new HashMap<>();
    return Behaviors.receive(Command.class)
        .onMessage(
            Register.class,
            r -> {
              controller.tell(new Controller.NodeUp(nodeId, self.encode(), storageId.text()));
              reconcile(ctx, nodeId, controller, metadata, missingTicks);
              return Behaviors.same();
            })
        .onMessage(
            MemberRemoved.class,
            m -> {
              String removed = m.event().member().address().toString();
              MetadataSnapshot snapshot = metadata.get();
              // A node that is leaving sees every member removed as its own cluster view shuts
              // down; reporting them would fail over partitions of healthy nodes. The members
              // that stay report real removals.
              boolean selfUp =
                  Cluster.get(ctx.getSystem()).selfMember().status() == MemberStatus.up();
              if (snapshot != null && selfUp) {
                for (Map.Entry<Integer, String> e : snapshot.liveNodes().entrySet()) {
                  if (NodeAddress.parse(e.getValue()).clusterAddress().equals(removed)) {
                    ctx.getLog().info("node {} ({}) left the cluster", e.getKey(), removed);
                    controller.tell(new Controller.NodeDown(e.getKey()));
                  }
                }
              }
              return Behaviors.same();
            })
        .build();
  }

  /**
   * Reports as down every node the controller holds live but that is no cluster member for two
   * ticks in a row: covers a node that died while no controller was running, or whose removal event
   * was lost while the singleton moved. Only an Up node judges, so a joining node's partial view
   * never downs anyone.
   */
  private static void reconcile(
      ActorContext<Command> ctx,
      int nodeId,
      ActorRef<Controller.Command> controller,
      AppliedMetadata metadata,
      Map<Integer, Integer> missingTicks) {
    Cluster cluster = Cluster.get(ctx.getSystem());
    MetadataSnapshot snapshot = metadata.get();
    if (snapshot == null || cluster.selfMember().status() != MemberStatus.up()) {
      return;
    }
    Set<String> members = new HashSet<>();
    cluster.state().getMembers().forEach(m -> members.add(m.address().toString()));
    missingTicks.keySet().retainAll(snapshot.liveNodes().keySet());
    for (Map.Entry<Integer, String> e : snapshot.liveNodes().entrySet()) {
      int id = e.getKey();
      if (id == nodeId || members.contains(NodeAddress.parse(e.getValue()).clusterAddress())) {
        missingTicks.remove(id);
        continue;
      }
      int ticks = missingTicks.merge(id, 1, Integer::sum);
      if (ticks >= 2) {
        ctx.getLog()
            .info("node {} is no cluster member but registered as live: reporting it down", id);
        controller.tell(new Controller.NodeDown(id));
        missingTicks.remove(id);
      }
    }
  }
}
