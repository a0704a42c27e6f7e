package dev.sluice.replication.follower;

import org.apache.pekko.stream.UniqueKillSwitch;

/**
 * The data a {@link FollowerReplica} carries from state to state: immutable records passed to each
 * behaviour method, plus the little that survives a supervision restart. Confined to the actor,
 * except where {@link Memory} says otherwise.
 */
final class FollowerData {
  private FollowerData() {}

  /** The node and epoch of a leader. */
  record Leader(int node, int epoch) {}

  /**
   * State data of every state.
   *
   * @param leaderLogEndOffset -1 until the leader reported it on the current connection
   * @param failures consecutive failed attempts, the exponent of the backoff
   */
  record Data(
      Leader leader, long logEndOffset, long leaderLogEndOffset, long highWatermark, int failures) {

    Data withLeader(Leader newLeader) {
      return new Data(newLeader, logEndOffset, -1, highWatermark, 0);
    }

    Data withLogEnd(long end) {
      return new Data(leader, end, leaderLogEndOffset, Math.min(highWatermark, end), failures);
    }

    /**
     * After appending the leader's batches up to {@code end}: the leader's log end is at least that
     * (a leader skips the status whose log end its batches reach), once it reported one at all.
     */
    Data withAppendedTo(long end) {
      long leaderEnd = leaderLogEndOffset < 0 ? -1 : Math.max(leaderLogEndOffset, end);
      return new Data(leader, end, leaderEnd, Math.min(highWatermark, end), failures);
    }

    Data withLeaderStatus(long leaderEnd, long leaderHighWatermark) {
      return new Data(
          leader, logEndOffset, leaderEnd, Math.min(leaderHighWatermark, logEndOffset), failures);
    }

    Data withFailures(int count) {
      return new Data(leader, logEndOffset, leaderLogEndOffset, highWatermark, count);
    }

    boolean atLeaderEnd() {
      return leaderLogEndOffset >= 0 && logEndOffset >= leaderLogEndOffset;
    }
  }

  /**
   * The running connection attempt.
   *
   * @param progressed the log end or the staged bytes moved during this attempt
   * @param completingOversized the last chunk of an oversized batch was staged: the {@code
   *     Appended} that follows counts no new bytes
   */
  record Attempt(
      int id,
      UniqueKillSwitch killSwitch,
      long startedNanos,
      boolean progressed,
      boolean reachedInSync,
      boolean completingOversized) {

    Attempt withProgress() {
      return new Attempt(id, killSwitch, startedNanos, true, reachedInSync, completingOversized);
    }

    Attempt withReachedInSync() {
      return new Attempt(id, killSwitch, startedNanos, progressed, true, completingOversized);
    }

    Attempt withCompletingOversized(boolean completing) {
      return new Attempt(id, killSwitch, startedNanos, progressed, reachedInSync, completing);
    }
  }

  /**
   * What survives a supervision restart: the newest leader (the node's {@code LeaderChanged} is not
   * repeated) and the attempt numbering (so that a dropped attempt of the failed incarnation is
   * never taken for one of the new incarnation). The leader and the frame limit divisor are
   * volatile: the session reads them on the blocking-IO dispatcher when it computes a handshake.
   */
  static final class Memory {
    volatile Leader leader;
    volatile int frameLimitDivisor = 1;
    int lastAttemptId;

    Memory(Leader leader) {
      this.leader = leader;
    }
  }
}
