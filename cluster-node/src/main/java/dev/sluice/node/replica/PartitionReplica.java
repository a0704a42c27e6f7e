package dev.sluice.node.replica;

import dev.sluice.log.PartitionLog;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.leader.AppendOp;
import dev.sluice.replication.leader.Assignment;
import dev.sluice.replication.leader.LeaderHandle;
import dev.sluice.replication.leader.LeaderView;
import dev.sluice.replication.leader.PartitionLeader;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One local replica of a partition: its log, the role the controller assigned it, and handles on
 * the actors that run that role. The leader side (assignment fencing, appends, in-sync set, high
 * watermark, acks) is reached through the replica's {@link LeaderHandle}; the follower side is the
 * follower FSM, whose {@link FollowerStatus} this shows. This class holds no mutable state of its
 * own beyond the follower status it was handed and two wall-clock instants a catch-up benchmark
 * reads: when the log was opened, and since when the applied in-sync set names this node.
 *
 * <p>Thread-safety: reads are lock-free (volatile snapshots and the log's published offsets), and
 * the leader side's methods send messages; none blocks, except {@link #bytesAfter}, which reads a
 * batch header under the log's structure lock ({@link ReplicaStatus#withFollowerLag} calls it once
 * per follower, on the blocking-IO dispatcher).
 */
public final class PartitionReplica implements AutoCloseable {
  private final PartitionId partition;
  private final int localNode;
  private final PartitionLog log;
  private final LeaderHandle leader;
  private volatile FollowerStatus followerStatus;
  private final Clock clock;
  private final long openedMillis;

  /** Epoch milliseconds since the in-sync set names this node; -1 while it does not. */
  private volatile long inSyncSinceMillis = -1;

  public PartitionReplica(PartitionId partition, int localNode, PartitionLog log) {
    this(partition, localNode, log, Clock.systemUTC());
  }

  /**
   * @param log the replica's log, just opened: {@link #openedMillis} is now by {@code clock}
   * @param clock the wall clock of the replica's instants
   */
  public PartitionReplica(PartitionId partition, int localNode, PartitionLog log, Clock clock) {
    this.partition = partition;
    this.localNode = localNode;
    this.log = log;
    this.leader = new LeaderHandle(partition, localNode, log);
    this.clock = clock;
    this.openedMillis = clock.millis();
  }

  /** When the log was opened (recovered), in epoch milliseconds. */
  public long openedMillis() {
    return openedMillis;
  }

  /**
   * Since when the controller's in-sync set, as applied here, names this node, in epoch
   * milliseconds; -1 while it does not.
   */
  public long inSyncSinceMillis() {
    return inSyncSinceMillis;
  }

  public PartitionId partitionId() {
    return partition;
  }

  public int localNode() {
    return localNode;
  }

  public PartitionLog log() {
    return log;
  }

  /** The leader side: what the replication server serves and the leader actor is reached by. */
  public LeaderHandle leaderHandle() {
    return leader;
  }

  public boolean isLeader() {
    return leader.isLeader();
  }

  /** The leading node, -1 while the partition has none. */
  public int leader() {
    return leader.assignment().leader();
  }

  public int leaderEpoch() {
    return leader.leaderEpoch();
  }

  public List<Integer> replicas() {
    return leader.assignment().replicas();
  }

  /** The controller's in-sync set as last applied here. */
  public List<Integer> inSync() {
    return leader.assignment().inSync();
  }

  /** What the leader actor last published; {@link LeaderView#NOT_LEADING} while following. */
  public LeaderView leaderView() {
    return leader.view();
  }

  /**
   * Applies the controller's view of the partition, unless it is older than the one applied (see
   * {@link LeaderHandle#assign}).
   *
   * @return true if it was applied
   */
  public boolean assign(Assignment next) {
    boolean applied = leader.assign(next);
    if (applied) {
      boolean inSync = next.inSync().contains(localNode);
      if (!inSync) {
        inSyncSinceMillis = -1;
      } else if (inSyncSinceMillis < 0) {
        inSyncSinceMillis = clock.millis();
      }
    }
    return applied;
  }

  /** The follower FSM that writes this replica's log while it follows. */
  public void followerStatus(FollowerStatus status) {
    this.followerStatus = status;
  }

  /** The follower FSM's published status while following, else empty. */
  public Optional<FollowerStatus> followerStatus() {
    return isLeader() ? Optional.empty() : Optional.ofNullable(followerStatus);
  }

  /** Appends through the leader actor; the stage fails only if the actor does not answer. */
  public CompletionStage<PartitionLeader.AppendReply> append(
      AppendOp op, boolean requireInSync, Duration timeout) {
    return leader.append(op, requireInSync, timeout);
  }

  /**
   * Appends through the leader actor, holding an idempotent producer's batch that arrived ahead of
   * its producer's sequence ({@link PartitionLeader.InOrder}).
   */
  public CompletionStage<PartitionLeader.AppendReply> append(
      AppendOp op,
      boolean requireInSync,
      Optional<PartitionLeader.InOrder> inOrder,
      Duration timeout) {
    return leader.append(op, requireInSync, inOrder, timeout);
  }

  /** Answers once the high watermark passed {@code offset}, or when it no longer can here. */
  public CompletionStage<PartitionLeader.CommitReply> awaitCommitted(
      long offset, Duration timeout) {
    return leader.awaitCommitted(offset, timeout);
  }

  /**
   * The first offset of the leader's current epoch; a new leader whose high watermark is still
   * below it may hold committed records above its high watermark that it cannot confirm yet.
   */
  public long epochStartOffset() {
    LeaderView v = leader.view();
    return v.leading() ? v.epochStartOffset() : -1;
  }

  /**
   * Bytes from {@code offset} to the log end; -1 if the log cannot tell. Never scans the log: one
   * index lookup and one batch header read.
   */
  public long bytesAfter(long offset) {
    try {
      return log.bytesAfter(offset);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Stops accepting work; the node closes the log after its actors stopped. */
  @Override
  public void close() throws IOException {
    leader.close();
    log.close();
  }
}
