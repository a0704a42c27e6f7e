package dev.sluice.replication.leader;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts, over all partitions a node leads, the events an operator alerts on after a failure: terms
 * this node started leading (elections it won) and in-sync changes the controller committed,
 * shrinks and expansions counted per replica removed or added. Thread-safe; one per node.
 */
public final class LeaderCounters {
  private final AtomicLong leaderships = new AtomicLong();
  private final AtomicLong shrinks = new AtomicLong();
  private final AtomicLong expansions = new AtomicLong();

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
