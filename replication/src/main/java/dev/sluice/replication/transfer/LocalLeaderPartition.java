package dev.sluice.replication.transfer;

import dev.sluice.log.PartitionLog;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;

/**
 * A {@link LeaderPartition} over a local log: the writer calls {@link #changed()} after every
 * append or high-watermark move; follower progress is recorded per replica for whoever computes the
 * high watermark and the in-sync set. Thread-safe.
 */
public final class LocalLeaderPartition implements LeaderPartition {
  private final PartitionLog log;
  private final ChangeSignal signal = new ChangeSignal();
  private final Map<Integer, Long> followerEnds = new ConcurrentHashMap<>();
  private volatile int leaderEpoch;
  private volatile boolean leader = true;

  public LocalLeaderPartition(PartitionLog log, int leaderEpoch) {
    this.log = log;
    this.leaderEpoch = leaderEpoch;
  }

  @Override
  public PartitionLog log() {
    return log;
  }

  @Override
  public int leaderEpoch() {
    return leaderEpoch;
  }

  @Override
  public boolean isLeader() {
    return leader;
  }

  /** Serves any replica id: this partition has no assignment to check against. */
  @Override
  public boolean isFollower(int replicaId) {
    return true;
  }

  /** Call after appending to the log or moving its high watermark. */
  public void changed() {
    signal.signal();
  }

  /** Stops leading: open connections end with a Rejected frame. */
  public void resign() {
    leader = false;
    signal.signal();
  }

  @Override
  public CompletionStage<Done> awaitChange(long logEndOffset, long highWatermark) {
    return signal.await(
        () -> !leader || log.logEndOffset() > logEndOffset || log.highWatermark() != highWatermark);
  }

  @Override
  public void onFollowerProgress(int replicaId, long logEndOffset, long stagedBytes) {
    followerEnds.put(replicaId, logEndOffset);
    signal.signal();
  }

  /** The last log end offset each follower reported. */
  public Map<Integer, Long> followerLogEndOffsets() {
    return Map.copyOf(followerEnds);
  }
}
