package dev.sluice.node.replica;

import dev.sluice.log.AppendInfo;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.record.Header;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One local replica of a partition: its log and what this node knows about the partition's
 * leadership. On the leader it moves the high watermark (the smallest log end offset of the in-sync
 * set, and only while that set has at least {@code minInSyncReplicas} members) and completes
 * acks=all produce requests when the high watermark passes them.
 *
 * <p>Thread-safety: appends and leadership changes are serialized on this object's monitor (the log
 * has a single writer); status reads are lock-free snapshots of volatile fields and the log's
 * published offsets.
 */
public final class PartitionReplica implements AutoCloseable {
  private final TopicPartition tp;
  private final int localNode;
  private final PartitionLog log;
  private final int minInSyncReplicas;
  private final HighWatermarkWaiters waiters = new HighWatermarkWaiters();
  private final Map<Integer, Long> followerEnds = new HashMap<>();

  private volatile int leader;
  private volatile int leaderEpoch;
  private volatile Set<Integer> inSync;
  private volatile String state;

  public PartitionReplica(
      TopicPartition tp, int localNode, PartitionLog log, int minInSyncReplicas) {
    this.tp = tp;
    this.localNode = localNode;
    this.log = log;
    this.minInSyncReplicas = minInSyncReplicas;
    this.leader = -1;
    this.leaderEpoch = -1;
    this.inSync = Set.of();
    this.state = "loading";
  }

  public TopicPartition topicPartition() {
    return tp;
  }

  public PartitionLog log() {
    return log;
  }

  public boolean isLeader() {
    return leader == localNode;
  }

  public int leader() {
    return leader;
  }

  public int leaderEpoch() {
    return leaderEpoch;
  }

  public Set<Integer> inSync() {
    return inSync;
  }

  /** Applies the controller's view of the partition. */
  public synchronized void assign(int newLeader, int epoch, Set<Integer> newInSync) {
    boolean wasLeader = isLeader();
    this.leader = newLeader;
    this.leaderEpoch = epoch;
    this.inSync = Set.copyOf(newInSync);
    if (isLeader()) {
      state = "leading";
      if (!wasLeader) {
        followerEnds.clear();
      }
      advanceHighWatermark();
    } else {
      if (wasLeader) {
        waiters.failAll(new IllegalStateException(tp + ": this node stopped leading"));
      }
      if ("leading".equals(state) || "loading".equals(state)) {
        state = "connecting";
      }
    }
  }

  /** The follower FSM reports its state here so status shows it. */
  public void followerState(String fsmState) {
    this.state = fsmState;
  }

  /**
   * Appends a one-record batch whose value is in {@code staged} (a file the caller deletes).
   *
   * @throws NotEnoughReplicasException when acks=all could never be honoured
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
      return info;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Completes once the high watermark has passed {@code offset}. */
  public CompletableFuture<Long> awaitCommitted(long offset) {
    return waiters.await(offset, log.highWatermark());
  }

  /** A follower reports its log end offset; the high watermark may move. */
  public synchronized void onFollowerProgress(int follower, long logEndOffset) {
    followerEnds.merge(follower, logEndOffset, Math::max);
    advanceHighWatermark();
  }

  /** Log end offset a follower last reported, or -1. */
  public synchronized long followerEnd(int follower) {
    return followerEnds.getOrDefault(follower, -1L);
  }

  private void advanceHighWatermark() {
    if (!isLeader() || inSync.size() < minInSyncReplicas) {
      return;
    }
    long hw = log.logEndOffset();
    for (int member : inSync) {
      if (member != localNode) {
        hw = Math.min(hw, followerEnds.getOrDefault(member, 0L));
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

  public ReplicaStatus status() {
    return new ReplicaStatus(
        localNode,
        isLeader() ? "leader" : "follower",
        log.logEndOffset(),
        log.highWatermark(),
        state,
        0L,
        log.logStartOffset());
  }

  @Override
  public synchronized void close() throws IOException {
    waiters.failAll(new IllegalStateException(tp + ": replica closed"));
    log.close();
  }
}
