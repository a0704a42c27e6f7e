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
 * actor system is replaced (the cluster downed it and it came back as a new cluster member). Within
 * an incarnation a lower value is always a {@link Decrease}: a replica's high watermark only covers
 * committed records, which no eligible leader lacks, so no legitimate truncation cuts below it, and
 * a new leader carries on from the high watermark it had (docs: "The HW never moves backwards on
 * any replica except by truncation", and that truncation never reaches committed records). Across
 * incarnations a lower value is legitimate and only counted ({@link #resets}): a restarted replica
 * starts from its checkpointed high watermark, which may lag the value it last reported (the
 * checkpoint is written after the in-memory value moves, and recovery may cut it to the log end),
 * until its leader tells it the current one.
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
  private long resets;

  /** One sample: node {@code node}, in incarnation {@code incarnation}, reported {@code hw}. */
  synchronized void record(int node, String incarnation, String partition, long hw, Instant at) {
    samples++;
    highest.merge(partition, hw, Math::max);
    Last previous = last.put(node + "/" + partition, new Last(incarnation, hw));
    if (previous == null || hw >= previous.hw()) {
      return;
    }
    if (previous.incarnation().equals(incarnation)) {
      decreases.add(new Decrease(node, incarnation, partition, previous.hw(), hw, at));
    } else {
      resets++;
    }
  }

  synchronized List<Decrease> decreases() {
    return List.copyOf(decreases);
  }

  /** Lower values seen across a restart of the replica's node: legitimate, only counted. */
  synchronized long resets() {
    return resets;
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
        + (decreases.isEmpty() ? "" : " " + decreases.subList(0, Math.min(5, decreases.size())))
        + ", resets across restarts "
        + resets;
  }
}
