package dev.sluice.replication.leader;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The leader's rule for its in-sync set, as in Kafka: a follower is caught up when its log end
 * offset reaches the leader's; one that has not been caught up for {@code replica-lag-time-max}
 * leaves the set (so one stuck follower never blocks acks=all writes forever), and one whose log
 * end offset reaches the high watermark again rejoins. Pure logic; the caller supplies time (an
 * injected clock) and applies the proposal through the controller.
 *
 * <p>Not thread-safe: the owning replica calls it under its own lock.
 */
public final class InSyncTracker {
  private final int leader;
  private final long lagTimeMaxNanos;
  private final Map<Integer, Long> logEnds = new HashMap<>();
  private final Map<Integer, Long> lastCaughtUpNanos = new HashMap<>();
  private final long sinceNanos;

  /**
   * @param leader node id of the leader (always in the set)
   * @param lagTimeMaxNanos {@code replica-lag-time-max}
   * @param nowNanos when this node became leader: every follower gets a full lag period of grace
   */
  public InSyncTracker(int leader, long lagTimeMaxNanos, long nowNanos) {
    this.leader = leader;
    this.lagTimeMaxNanos = lagTimeMaxNanos;
    this.sinceNanos = nowNanos;
  }

  /** A follower reported its log end offset. */
  public void onProgress(int follower, long logEndOffset, long leaderLogEndOffset, long nowNanos) {
    logEnds.merge(follower, logEndOffset, Math::max);
    if (logEndOffset >= leaderLogEndOffset) {
      lastCaughtUpNanos.put(follower, nowNanos);
    }
  }

  /** Last log end offset a follower reported, or -1. */
  public long logEndOffset(int follower) {
    return logEnds.getOrDefault(follower, -1L);
  }

  /** Log end offsets reported by followers. */
  public Map<Integer, Long> logEndOffsets() {
    return Map.copyOf(logEnds);
  }

  /**
   * The in-sync set the leader should have now, in replica order.
   *
   * @param replicas every replica of the partition, leader included
   * @param inSync the current in-sync set
   */
  public List<Integer> propose(
      List<Integer> replicas,
      List<Integer> inSync,
      long leaderLogEndOffset,
      long highWatermark,
      long nowNanos) {
    List<Integer> next = new ArrayList<>();
    for (int replica : replicas) {
      if (replica == leader) {
        next.add(replica);
        continue;
      }
      long end = logEnds.getOrDefault(replica, -1L);
      if (end >= leaderLogEndOffset) {
        // Idle partitions get no progress reports; a follower at the end is caught up now.
        lastCaughtUpNanos.put(replica, nowNanos);
      }
      boolean member = inSync.contains(replica);
      long caughtUp = lastCaughtUpNanos.getOrDefault(replica, sinceNanos);
      if (member && nowNanos - caughtUp <= lagTimeMaxNanos) {
        next.add(replica);
      } else if (!member && end >= 0 && end >= highWatermark && end >= leaderLogEndOffset) {
        next.add(replica);
      }
    }
    return next;
  }
}
