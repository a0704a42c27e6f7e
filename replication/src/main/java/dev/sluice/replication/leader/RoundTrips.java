package dev.sluice.replication.leader;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * The replication round trip of one leader term: for every batch the leader appends, how long until
 * each follower reports a log end that covers it (the leader's append, the transfer to the
 * follower, the follower's append and its position report back). It is what an {@code acks=all}
 * produce waits for beyond the leader's own write.
 *
 * <p>Only reports of followers that were in the (maximal) in-sync set when they reported produce
 * samples: a follower catching up after an absence confirms old batches late, which measures its
 * absence, not replication. Its position is still recorded, so that its first sample after it
 * rejoins is only for batches appended while it was a member.
 *
 * <p>Bounded: at most {@link #MAX_PENDING} appends wait for confirmation; when a follower stays
 * behind longer, the oldest ones are forgotten (they produce no sample). An append is forgotten as
 * soon as every follower covered it.
 *
 * <p>Not thread-safe: owned by the partition's {@link PartitionLeader} actor.
 */
final class RoundTrips {
  static final int MAX_PENDING = 1024;

  /** An appended batch: the log end after it and when it was appended. */
  private record Pending(long endOffset, long appendedNanos) {}

  private final List<Integer> followers;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final Map<Integer, Long> confirmed = new HashMap<>();

  /**
   * @param followers the partition's replicas other than the leader
   */
  RoundTrips(List<Integer> followers) {
    this.followers = List.copyOf(followers);
  }

  /** The leader appended a batch; its log now ends at {@code endOffset}. */
  void appended(long endOffset, long nanos) {
    if (pending.size() == MAX_PENDING) {
      pending.removeFirst();
    }
    pending.addLast(new Pending(endOffset, nanos));
  }

  /**
   * A follower reported that its log ends at {@code logEnd}. When {@code member} (it is in the
   * in-sync set), every append it covers for the first time gives {@code samples} one round trip in
   * nanoseconds.
   */
  void reported(int follower, long logEnd, long nanos, boolean member, LongConsumer samples) {
    long before = confirmed.getOrDefault(follower, Long.MIN_VALUE);
    if (logEnd <= before) {
      confirmed.put(follower, logEnd); // truncated or a new connection: positions restart here
      return;
    }
    confirmed.put(follower, logEnd);
    if (member) {
      for (Pending p : pending) {
        if (p.endOffset() > logEnd) {
          break;
        }
        if (p.endOffset() > before) {
          samples.accept(Math.max(0, nanos - p.appendedNanos()));
        }
      }
    }
    forgetConfirmedByAll();
  }

  /** Appends still waiting for at least one follower. */
  int pendingCount() {
    return pending.size();
  }

  private void forgetConfirmedByAll() {
    long lowest = Long.MAX_VALUE;
    for (int f : followers) {
      lowest = Math.min(lowest, confirmed.getOrDefault(f, Long.MIN_VALUE));
    }
    Iterator<Pending> it = pending.iterator();
    while (it.hasNext() && it.next().endOffset() <= lowest) {
      it.remove();
    }
  }
}
