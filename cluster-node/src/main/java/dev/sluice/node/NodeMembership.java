package dev.sluice.node;

import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.replica.AppliedMetadata;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Tells the controller which node this is and how to reach it, and which nodes left the cluster.
 *
 * <p>Registration repeats on a timer: the controller singleton may move to another node and recover
 * from its journal, and a repeated {@code NodeUp} is idempotent. A removed member is mapped to its
 * node id through the registered addresses in the latest metadata snapshot.
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
                  return running(ctx, timers, nodeId, self, controller, metadata);
                }));
  }

  private static Behavior<Command> running(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      int nodeId,
      NodeAddress self,
      ActorRef<Controller.Command> controller,
      AppliedMetadata metadata) {
    return Behaviors.receive(Command.class)
        .onMessage(
            Register.class,
            r -> {
              controller.tell(new Controller.NodeUp(nodeId, self.encode()));
              return Behaviors.same();
            })
        .onMessage(
            MemberRemoved.class,
            m -> {
              String removed = m.event().member().address().toString();
              MetadataSnapshot snapshot = metadata.get();
              if (snapshot != null) {
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
}
