package dev.sluice.node.replica;

import dev.sluice.node.LogMdc;
import dev.sluice.node.NodeAddress;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.replication.follower.FollowerReplica;
import dev.sluice.replication.follower.FollowerSetup;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.transfer.TransferSettings;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchedReplica;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The actor of one local partition replica: applies the controller's assignment and runs the
 * replica's role. As follower it runs the catch-up FSM ({@link FollowerReplica}) as its child and
 * has the stall watchdog watch it; as leader (or while the partition has no leader) it stops that
 * child, and the leader side is served by the replication server through the replica's {@code
 * LeaderHandle}. Record bytes never pass through it.
 *
 * <p>Supervised with backoff: after a failure it restarts without its child and starts the role the
 * replica is assigned again, from the replica's log (nobody repeats an unchanged assignment).
 */
public final class PartitionReplicaActor extends AbstractBehavior<PartitionReplicaActor.Command> {

  public sealed interface Command {}

  /**
   * The replica was assigned this leader and epoch (the replica manager applies the assignment to
   * the {@link PartitionReplica} itself before it publishes the snapshot, so the API never sees a
   * stale role); this actor starts, redirects or stops the follower FSM accordingly.
   */
  public record RoleAssigned(int leader, int leaderEpoch) implements Command {}

  /** What a replica needs to follow: where nodes are, transfer settings, the node's watchdog. */
  public record Replication(
      AppliedMetadata metadata,
      TransferSettings transfer,
      ActorRef<StallWatchdog.Command> watchdog) {}

  public static Behavior<Command> create(PartitionReplica replica, Replication replication) {
    TransferSettings t = replication.transfer();
    return Behaviors.supervise(
            Behaviors.<Command>setup(ctx -> new PartitionReplicaActor(ctx, replica, replication)))
        .onFailure(
            SupervisorStrategy.restartWithBackoff(
                t.backoff().min(), t.backoff().max(), t.backoff().randomFactor()));
  }

  private final PartitionReplica replica;
  private final Replication replication;
  private final String name;
  private ActorRef<FollowerReplica.Command> follower;
  private long spawned;

  private PartitionReplicaActor(
      ActorContext<Command> ctx, PartitionReplica replica, Replication replication) {
    super(ctx);
    this.replica = replica;
    this.replication = replication;
    this.name = replica.partitionId().dirName();
    if (replica.leaderEpoch() >= 0) {
      ctx.getSelf().tell(new RoleAssigned(replica.leader(), replica.leaderEpoch()));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(RoleAssigned.class, this::onRoleAssigned)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onRoleAssigned(RoleAssigned a) {
    if (replica.isLeader() || a.leader() < 0) {
      stopFollowing();
    } else if (follower != null) {
      follower.tell(new FollowerReplica.LeaderChanged(a.leader(), a.leaderEpoch()));
    } else {
      follow(a.leader(), a.leaderEpoch());
    }
    return this;
  }

  private void follow(int leader, int epoch) {
    FollowerStatus status = new FollowerStatus();
    replica.followerStatus(status);
    FollowerSetup setup =
        FollowerSetup.of(
            replica.localNode(),
            replica.partitionId(),
            replica.log(),
            this::replicationAddress,
            leader,
            epoch,
            replication.transfer(),
            status);
    ActorRef<FollowerReplica.Command> ref =
        getContext()
            .spawn(
                LogMdc.around(
                    FollowerReplica.Command.class,
                    replica.localNode(),
                    replica.partitionId(),
                    FollowerReplica.create(setup)),
                "follower-" + spawned++);
    follower = ref;
    replication
        .watchdog()
        .tell(
            new StallWatchdog.Watch(
                name,
                WatchedReplica.of(
                    status,
                    reason -> ref.tell(new FollowerReplica.RestartTransfer(reason)),
                    divisor -> ref.tell(new FollowerReplica.LimitFrames(divisor)))));
  }

  private void stopFollowing() {
    if (follower != null) {
      follower.tell(new FollowerReplica.Stop());
      follower = null;
      replication.watchdog().tell(new StallWatchdog.Unwatch(name));
    }
  }

  private Behavior<Command> onPostStop() {
    // Children stop with this actor; the watchdog must not keep sampling a stopped follower.
    if (follower != null) {
      replication.watchdog().tell(new StallWatchdog.Unwatch(name));
    }
    return this;
  }

  private Optional<InetSocketAddress> replicationAddress(int node) {
    MetadataSnapshot snapshot = replication.metadata().get();
    if (snapshot == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(snapshot.liveNodes().get(node))
        .map(NodeAddress::parse)
        .map(a -> new InetSocketAddress(a.host(), a.replicationPort()));
  }
}
