package dev.sluice.it;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The high watermarks observed on every replica over time, and the rule they must follow: within
 * one incarnation of a replica, its high watermark never goes down.
 *
 * <p>An incarnation lasts from the moment a node opened the replica until that process dies or its
 * actor system is replaced (the cluster downed it and it came back as a new cluster member). A
 * lower value is a {@link Decrease} within an incarnation and across them alike: a replica's high
 * watermark only covers committed records, which no eligible leader lacks, so no legitimate
 * truncation cuts below it; a new leader carries on from the high watermark it had; and the log
 * writes the checkpoint before it publishes a new value, so a restarted replica starts from at
 * least the last value it reported (recovery never cuts below it: those records were written before
 * the watermark passed them). The incarnation is kept to say which process reported what.
 *
 * <p>Thread-safe: every method is synchronized.
 */
final class HighWatermarkHistory {

  /** A high watermark that went down within one incarnation of its replica. */
  record Decrease(int node, String incarnation, String partition, long from, long to, Instant at) {
    @Override
    public String toString() {
      return partition
          + " on node "
          + node
          + " (incarnation "
          + incarnation
          + "): high watermark "
          + from
          + " -> "
          + to
          + " at "
          + at;
    }
  }

  private record Last(String incarnation, long hw) {}

  private final Map<String, Last> last = new HashMap<>();
  private final Map<String, Long> highest = new HashMap<>();
  private final List<Decrease> decreases = new ArrayList<>();
  private long samples;

  /** One sample: node {@code node}, in incarnation {@code incarnation}, reported {@code hw}. */
  synchronized void record(int node, String incarnation, String partition, long hw, Instant at) {
    samples++;
    highest.merge(partition, hw, Math::max);
    Last previous = last.put(node + "/" + partition, new Last(incarnation, hw));
    if (previous == null || hw >= previous.hw()) {
      return;
    }
    decreases.add(new Decrease(node, incarnation, partition, previous.hw(), hw, at));
  }

  synchronized List<Decrease> decreases() {
    return List.copyOf(decreases);
  }

  synchronized long samples() {
    return samples;
  }

  /**
   * The highest high watermark seen on any replica of {@code partition} ({@code t-0}); -1: none.
   */
  synchronized long highest(String partition) {
    return highest.getOrDefault(partition, -1L);
  }

  synchronized String summary() {
    return "high watermark samples "
        + samples
        + ", decreases "
        + decreases.size()
        + (decreases.isEmpty() ? "" : " " + decreases.subList(0, Math.min(5, decreases.size())));
  }
}
