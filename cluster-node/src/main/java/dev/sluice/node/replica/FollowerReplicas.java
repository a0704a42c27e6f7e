package dev.sluice.node.replica;

import dev.sluice.node.NodeAddress;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.replication.follower.FollowerReplica;
import dev.sluice.replication.follower.FollowerSetup;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.transfer.TransferSettings;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchedReplica;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The follower FSM actors of this node's replicas, one per partition this node follows, children of
 * the replica manager. Each is watched by the stall watchdog. Used from the replica manager's actor
 * thread only.
 */
final class FollowerReplicas {
  private final ActorContext<?> ctx;
  private final AppliedMetadata metadata;
  private final TransferSettings transfer;
  private final ActorRef<StallWatchdog.Command> watchdog;
  private final Map<TopicPartition, ActorRef<FollowerReplica.Command>> running = new HashMap<>();
  private long spawned;

  FollowerReplicas(
      ActorContext<?> ctx,
      AppliedMetadata metadata,
      TransferSettings transfer,
      ActorRef<StallWatchdog.Command> watchdog) {
    this.ctx = ctx;
    this.metadata = metadata;
    this.transfer = transfer;
    this.watchdog = watchdog;
  }

  /** Makes {@code replica} follow {@code leader} at {@code epoch}, starting its FSM if needed. */
  void follow(PartitionReplica replica, int leader, int epoch) {
    TopicPartition tp = replica.topicPartition();
    ActorRef<FollowerReplica.Command> existing = running.get(tp);
    if (existing != null) {
      existing.tell(new FollowerReplica.LeaderChanged(leader, epoch));
      return;
    }
    FollowerStatus status = new FollowerStatus();
    replica.followerStatus(status);
    FollowerSetup setup =
        FollowerSetup.of(
            replica.localNode(),
            new PartitionId(tp.topic(), tp.partition()),
            replica.log(),
            this::replicationAddress,
            leader,
            epoch,
            transfer,
            status);
    ActorRef<FollowerReplica.Command> ref =
        ctx.spawn(FollowerReplica.create(setup), "follower-" + tp.dirName() + "-" + spawned++);
    running.put(tp, ref);
    watchdog.tell(
        new StallWatchdog.Watch(
            tp.dirName(),
            WatchedReplica.of(
                status,
                reason -> ref.tell(new FollowerReplica.RestartTransfer(reason)),
                divisor -> ref.tell(new FollowerReplica.LimitFrames(divisor)))));
  }

  /** Stops following (this node became leader, or the partition has no leader to follow). */
  void stop(TopicPartition tp) {
    ActorRef<FollowerReplica.Command> ref = running.remove(tp);
    if (ref != null) {
      ref.tell(new FollowerReplica.Stop());
      watchdog.tell(new StallWatchdog.Unwatch(tp.dirName()));
    }
  }

  private Optional<InetSocketAddress> replicationAddress(int node) {
    MetadataSnapshot snapshot = metadata.get();
    if (snapshot == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(snapshot.liveNodes().get(node))
        .map(NodeAddress::parse)
        .map(a -> new InetSocketAddress(a.host(), a.replicationPort()));
  }
}
