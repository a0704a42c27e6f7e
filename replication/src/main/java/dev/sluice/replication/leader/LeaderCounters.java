package dev.sluice.replication.leader;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Counts, over all partitions a node leads, the events an operator alerts on after a failure: terms
 * this node started leading (elections it won) and in-sync changes the controller committed,
 * shrinks and expansions counted per replica removed or added. Also hands on the replication round
 * trips the leaders measure ({@link RoundTrips}) to whoever keeps them (the node's metrics), so
 * that this module needs no metrics library. Thread-safe; one per node.
 */
public final class LeaderCounters {
  private final AtomicLong leaderships = new AtomicLong();
  private final AtomicLong shrinks = new AtomicLong();
  private final AtomicLong expansions = new AtomicLong();
  private volatile LongConsumer roundTrips = nanos -> {};

  /**
   * Sends every replication round trip (nanoseconds from a leader's append to a follower's report
   * covering it) to {@code listener} from now on; it runs on the leader actors' threads and must
   * not block.
   */
  public void onRoundTrip(LongConsumer listener) {
    this.roundTrips = Objects.requireNonNull(listener, "listener");
  }

  void roundTrip(long nanos) {
    roundTrips.accept(nanos);
  }

  void leadershipStarted() {
    leaderships.incrementAndGet();
  }

  void inSyncChanged(List<Integer> before, List<Integer> after) {
    shrinks.addAndGet(before.stream().filter(r -> !after.contains(r)).count());
    expansions.addAndGet(after.stream().filter(r -> !before.contains(r)).count());
  }

  /** Terms this node started leading. */
  public long leaderships() {
    return leaderships.get();
  }

  /** Replicas removed from in-sync sets of partitions this node led. */
  public long inSyncShrinks() {
    return shrinks.get();
  }

  /** Replicas added to in-sync sets of partitions this node led. */
  public long inSyncExpansions() {
    return expansions.get();
  }
}
