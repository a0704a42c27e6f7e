package dev.sluice.node.replica;

import dev.sluice.log.AppendInfo;
import dev.sluice.log.FetchResult;
import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.record.Header;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.leader.InSyncTracker;
import dev.sluice.replication.transfer.ChangeSignal;
import dev.sluice.replication.transfer.LeaderPartition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.apache.pekko.Done;

/**
 * One local replica of a partition: its log and what this node knows about the partition's
 * leadership.
 *
 * <p>As leader it serves the replication streams ({@link LeaderPartition}), moves the high
 * watermark (the smallest log end offset of the in-sync set, and only while that set has at least
 * {@code min-in-sync-replicas} members), completes acks=all produce requests when the high
 * watermark passes them, and proposes in-sync set changes ({@link InSyncTracker}). As follower its
 * log is written by the follower FSM, whose {@link FollowerStatus} it shows.
 *
 * <p>Thread-safety: appends, follower progress and leadership changes are serialized on this
 * object's monitor (the log has a single writer); status reads are lock-free snapshots of volatile
 * fields and the log's published offsets; {@link #awaitChange} never blocks.
 */
public final class PartitionReplica implements LeaderPartition, AutoCloseable {
  private static final long MAX_LAG_SCAN_BYTES = 1L << 40;

  private final TopicPartition tp;
  private final int localNode;
  private final PartitionLog log;
  private final int minInSyncReplicas;
  private final long lagTimeMaxNanos;
  private final LongSupplier nanoClock;
  private final HighWatermarkWaiters waiters = new HighWatermarkWaiters();
  private final ChangeSignal changes = new ChangeSignal();

  private volatile int leader = -1;
  private volatile int leaderEpoch = -1;
  private volatile List<Integer> replicas = List.of();
  private volatile List<Integer> inSync = List.of();
  private volatile FollowerStatus followerStatus;
  private InSyncTracker tracker;

  public PartitionReplica(
      TopicPartition tp,
      int localNode,
      PartitionLog log,
      int minInSyncReplicas,
      long lagTimeMaxNanos,
      LongSupplier nanoClock) {
    this.tp = tp;
    this.localNode = localNode;
    this.log = log;
    this.minInSyncReplicas = minInSyncReplicas;
    this.lagTimeMaxNanos = lagTimeMaxNanos;
    this.nanoClock = nanoClock;
  }

  public TopicPartition topicPartition() {
    return tp;
  }

  public int localNode() {
    return localNode;
  }

  @Override
  public PartitionLog log() {
    return log;
  }

  @Override
  public boolean isLeader() {
    return leader == localNode;
  }

  public int leader() {
    return leader;
  }

  @Override
  public int leaderEpoch() {
    return leaderEpoch;
  }

  public List<Integer> replicas() {
    return replicas;
  }

  public List<Integer> inSync() {
    return inSync;
  }

  /** Applies the controller's view of the partition. */
  public synchronized void assign(
      int newLeader, int epoch, List<Integer> newReplicas, List<Integer> newInSync) {
    boolean wasLeader = isLeader();
    boolean newTerm = epoch != leaderEpoch || newLeader != leader;
    this.leader = newLeader;
    this.leaderEpoch = epoch;
    this.replicas = List.copyOf(newReplicas);
    this.inSync = List.copyOf(newInSync);
    if (isLeader()) {
      if (!wasLeader || newTerm || tracker == null) {
        tracker = new InSyncTracker(localNode, lagTimeMaxNanos, nanoClock.getAsLong());
      }
      followerStatus = null;
      advanceHighWatermark();
    } else {
      tracker = null;
      if (wasLeader) {
        waiters.failAll(new NotLeaderException(tp, newLeader));
      }
    }
    changes.signal();
  }

  /** The follower FSM that writes this replica's log while it follows. */
  public void followerStatus(FollowerStatus status) {
    this.followerStatus = status;
  }

  /** The follower FSM's published status while following, else empty. */
  public Optional<FollowerStatus> followerStatus() {
    return isLeader() ? Optional.empty() : Optional.ofNullable(followerStatus);
  }

  /**
   * Appends a one-record batch whose value is in {@code staged} (a file the caller deletes).
   *
   * @throws NotEnoughReplicasException when acks=all could not be honoured
   */
  public synchronized AppendInfo appendValue(
      byte[] key, List<Header> headers, Path staged, boolean requireInSync) {
    if (!isLeader()) {
      throw new NotLeaderException(tp, leader);
    }
    if (requireInSync && inSync.size() < minInSyncReplicas) {
      throw new NotEnoughReplicasException(tp, inSync.size(), minInSyncReplicas);
    }
    try {
      AppendInfo info = log.appendValueFile(key, headers, staged, leaderEpoch);
      advanceHighWatermark();
      changes.signal();
      return info;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Completes once the high watermark has passed {@code offset}. */
  public CompletableFuture<Long> awaitCommitted(long offset) {
    return waiters.await(offset, log.highWatermark());
  }

  @Override
  public CompletionStage<Done> awaitChange(long logEndOffset, long highWatermark) {
    return changes.await(
        () ->
            !isLeader()
                || log.logEndOffset() > logEndOffset
                || log.highWatermark() != highWatermark);
  }

  @Override
  public synchronized void onFollowerProgress(int replicaId, long logEndOffset, long stagedBytes) {
    if (tracker == null) {
      return;
    }
    tracker.onProgress(replicaId, logEndOffset, log.logEndOffset(), nanoClock.getAsLong());
    advanceHighWatermark();
    changes.signal();
  }

  /** The in-sync set this leader should have now, when it differs from the current one. */
  public synchronized Optional<List<Integer>> proposeInSync() {
    if (tracker == null) {
      return Optional.empty();
    }
    List<Integer> proposed =
        tracker.propose(
            replicas, inSync, log.logEndOffset(), log.highWatermark(), nanoClock.getAsLong());
    return proposed.equals(inSync) ? Optional.empty() : Optional.of(proposed);
  }

  private void advanceHighWatermark() {
    if (!isLeader() || inSync.size() < minInSyncReplicas) {
      return;
    }
    long hw = log.logEndOffset();
    for (int member : inSync) {
      if (member != localNode) {
        hw = Math.min(hw, Math.max(0, tracker.logEndOffset(member)));
      }
    }
    if (hw > log.highWatermark()) {
      try {
        log.updateHighWatermark(hw);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    waiters.complete(log.highWatermark());
  }

  /** Bytes of log from {@code offset} to the end: how far behind a replica at that offset is. */
  public long bytesAfter(long offset) {
    if (offset >= log.logEndOffset()) {
      return 0;
    }
    try {
      FetchResult r = log.read(Math.max(offset, log.logStartOffset()), MAX_LAG_SCAN_BYTES);
      return r.slices().stream().mapToLong(LogSlice::length).sum();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  public ReplicaStatus status() {
    if (isLeader()) {
      Map<Integer, Long> followerLag = new HashMap<>();
      InSyncTracker t = tracker;
      if (t != null) {
        Map<Integer, Long> ends;
        synchronized (this) {
          ends = t.logEndOffsets();
        }
        ends.forEach((node, end) -> followerLag.put(node, bytesAfter(end)));
      }
      return new ReplicaStatus(
          localNode,
          "leader",
          log.logEndOffset(),
          log.highWatermark(),
          "leading",
          0,
          log.logStartOffset(),
          followerLag,
          "",
          0,
          false,
          0);
    }
    FollowerStatus fs = followerStatus;
    FollowerStatus.Snapshot s = fs == null ? null : fs.snapshot();
    return new ReplicaStatus(
        localNode,
        "follower",
        log.logEndOffset(),
        log.highWatermark(),
        s == null ? "loading" : s.state(),
        -1,
        log.logStartOffset(),
        Map.of(),
        s == null ? "" : s.lastError(),
        s == null ? 0 : s.currentBackoff().toMillis(),
        false,
        0);
  }

  @Override
  public synchronized void close() throws IOException {
    leader = -1;
    changes.signal();
    waiters.failAll(new IllegalStateException(tp + ": replica closed"));
    log.close();
  }
}
