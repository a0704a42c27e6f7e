package dev.sluice.node.replica;

import dev.sluice.node.LogMdc;
import dev.sluice.node.NodeAddress;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.replication.follower.FollowerReplica;
import dev.sluice.replication.follower.FollowerSetup;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.protocol.Frame;
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
 * <p>Provisional follower: at start-up, before the first metadata, the replica manager may tell it
 * to {@link FollowProvisionally follow} the leader the replica last followed ({@link
 * FollowedLeader}); it then follows as it would for that assignment, with the leader's address from
 * the record while no metadata is applied. The first {@link RoleAssigned} settles it: the same
 * leader and epoch keep the running follower (no new connection, no second handshake); a newer
 * epoch redirects it as any leader change does; leading, no leader, or an assignment that is not
 * newer but differs stops it, and a follower that is still needed starts afresh once the old one
 * has stopped (two followers never write the log at once). It never leads provisionally.
 *
 * <p>Supervised with backoff: after a failure it restarts without its child and starts the role the
 * replica is assigned again, from the replica's log (nobody repeats an unchanged assignment); a
 * provisional follower is not restarted, the replica then waits for the metadata.
 */
public final class PartitionReplicaActor extends AbstractBehavior<PartitionReplicaActor.Command> {

  public sealed interface Command {}

  /**
   * The replica was assigned this leader and epoch (the replica manager applies the assignment to
   * the {@link PartitionReplica} itself before it publishes the snapshot, so the API never sees a
   * stale role); this actor starts, redirects or stops the follower FSM accordingly.
   */
  public record RoleAssigned(int leader, int leaderEpoch) implements Command {}

  /**
   * Before any assignment: follow the leader the replica last followed, as its directory records
   * it. Ignored once an assignment was applied, and when the record names this node.
   */
  public record FollowProvisionally(FollowedLeader followed) implements Command {}

  /** A follower stopped to make way for a fresh one has terminated. */
  private record ReplacedFollowerStopped() implements Command {}

  /** What a replica needs to follow: where nodes are, transfer settings, the node's watchdog. */
  public record Replication(
      AppliedMetadata metadata,
      TransferSettings transfer,
      ActorRef<StallWatchdog.Command> watchdog) {}

  /**
   * @param topicId the topic incarnation of the replica's directory, sent in the follower's
   *     handshakes; null if it names none
   */
  public static Behavior<Command> create(
      PartitionReplica replica, String topicId, Replication replication) {
    TransferSettings t = replication.transfer();
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                ctx -> new PartitionReplicaActor(ctx, replica, topicId, replication)))
        .onFailure(
            SupervisorStrategy.restartWithBackoff(
                t.backoff().min(), t.backoff().max(), t.backoff().randomFactor()));
  }

  private final PartitionReplica replica;
  private final String topicId;
  private final Replication replication;
  private final String name;
  private ActorRef<FollowerReplica.Command> follower;
  private long spawned;

  /** The record the running follower was started from, until the first assignment settles it. */
  private FollowedLeader provisional;

  /**
   * The record followed provisionally, for the follower's address look-ups (on its own thread)
   * until the metadata is applied; kept after the first assignment, as the manager publishes the
   * snapshot only after it told this actor.
   */
  private volatile FollowedLeader recorded;

  /** A follower told to stop, whose end a fresh one waits for; null if none. */
  private ActorRef<FollowerReplica.Command> replaced;

  private PartitionReplicaActor(
      ActorContext<Command> ctx,
      PartitionReplica replica,
      String topicId,
      Replication replication) {
    super(ctx);
    this.replica = replica;
    this.topicId = topicId == null ? Frame.Hello.NO_TOPIC_ID : topicId;
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
        .onMessage(FollowProvisionally.class, this::onFollowProvisionally)
        .onMessage(ReplacedFollowerStopped.class, this::onReplacedFollowerStopped)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onFollowProvisionally(FollowProvisionally m) {
    FollowedLeader f = m.followed();
    if (replica.leaderEpoch() >= 0 || follower != null || f.leader() == replica.localNode()) {
      return this; // the metadata came first, or the record names this node: nothing provisional
    }
    getContext()
        .getLog()
        .info(
            "{}: following node {} at epoch {} ({}:{}) as before the restart, until the metadata"
                + " confirms it",
            replica.partitionId(),
            f.leader(),
            f.leaderEpoch(),
            f.host(),
            f.port());
    // As LeaderHandle.assign does before any follower starts: no leader append of an older
    // epoch reaches the log once the follower has read its end.
    replica.log().fenceLeaderEpochsBelow(f.leaderEpoch());
    provisional = f;
    recorded = f;
    follow(f.leader(), f.leaderEpoch());
    return this;
  }

  private Behavior<Command> onRoleAssigned(RoleAssigned a) {
    if (replaced != null) {
      return this; // the fresh follower starts from the applied assignment once the old one ended
    }
    FollowedLeader started = provisional;
    provisional = null;
    if (started != null && follower != null && !replica.isLeader() && a.leader() >= 0) {
      if (a.leader() == started.leader() && a.leaderEpoch() == started.leaderEpoch()) {
        getContext()
            .getLog()
            .info(
                "{}: the metadata confirms leader node {} at epoch {}; the running follower"
                    + " continues",
                replica.partitionId(),
                a.leader(),
                a.leaderEpoch());
        return this;
      }
      if (a.leaderEpoch() <= started.leaderEpoch()) {
        // Not a newer leader: the running follower would ignore it, and it must not go on with
        // an epoch the metadata does not know.
        replaceFollower(started, a);
        return this;
      }
    }
    if (replica.isLeader() || a.leader() < 0) {
      stopFollowing();
    } else if (follower != null) {
      follower.tell(new FollowerReplica.LeaderChanged(a.leader(), a.leaderEpoch()));
    } else {
      follow(a.leader(), a.leaderEpoch());
    }
    return this;
  }

  /**
   * Stops the provisional follower; a follower for the applied assignment starts once it ended
   * ({@link #onReplacedFollowerStopped}).
   */
  private void replaceFollower(FollowedLeader started, RoleAssigned a) {
    getContext()
        .getLog()
        .info(
            "{}: the metadata assigns leader node {} at epoch {}, not node {} at epoch {} followed"
                + " since the start; restarting the follower",
            replica.partitionId(),
            a.leader(),
            a.leaderEpoch(),
            started.leader(),
            started.leaderEpoch());
    ActorRef<FollowerReplica.Command> old = follower;
    stopFollowing();
    replaced = old;
    getContext().watchWith(old, new ReplacedFollowerStopped());
  }

  private Behavior<Command> onReplacedFollowerStopped(ReplacedFollowerStopped m) {
    replaced = null;
    if (replica.leaderEpoch() >= 0) {
      return onRoleAssigned(new RoleAssigned(replica.leader(), replica.leaderEpoch()));
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
                status)
            .withTopicId(topicId);
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

  /**
   * A node's replication address by the applied metadata; before the first, the provisional
   * leader's as recorded.
   */
  private Optional<InetSocketAddress> replicationAddress(int node) {
    MetadataSnapshot snapshot = replication.metadata().get();
    if (snapshot == null) {
      FollowedLeader f = recorded;
      return f != null && f.leader() == node
          ? Optional.of(new InetSocketAddress(f.host(), f.port()))
          : Optional.empty();
    }
    return Optional.ofNullable(snapshot.liveNodes().get(node))
        .map(NodeAddress::parse)
        .map(a -> new InetSocketAddress(a.host(), a.replicationPort()));
  }
}
