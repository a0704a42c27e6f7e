package dev.sluice.tools;

import dev.sluice.client.RecordMetadata;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code sluice produce --lines/--ndjson} prints at the end: records and bytes acknowledged,
 * the time taken, and per partition the first and last offset written; plus the failures.
 *
 * <p>Thread-safety: safe; the producer's threads report outcomes while the command reads.
 */
final class ProduceSummary {

  private record Range(long first, long last, long records) {
    Range plus(long offset) {
      return new Range(Math.min(first, offset), Math.max(last, offset), records + 1);
    }
  }

  private final String topic;
  private final Map<Integer, Range> partitions = new TreeMap<>();
  private long records;
  private long bytes;
  private long failed;
  private String firstFailure;

  ProduceSummary(String topic) {
    this.topic = topic;
  }

  synchronized void acknowledged(RecordMetadata metadata, long recordBytes) {
    records++;
    bytes += recordBytes;
    partitions.merge(
        metadata.partition(),
        new Range(metadata.offset(), metadata.offset(), 1),
        (a, b) -> a.plus(metadata.offset()));
  }

  synchronized void failed(Throwable failure) {
    failed++;
    if (firstFailure == null) {
      firstFailure = failure.getMessage() == null ? failure.toString() : failure.getMessage();
    }
  }

  synchronized long failures() {
    return failed;
  }

  /** {@code 3 of 10 records failed; the first: ...}, or null when none failed. */
  synchronized String failureMessage() {
    if (failed == 0) {
      return null;
    }
    return failed + " of " + (failed + records) + " records failed; the first: " + firstFailure;
  }

  synchronized void print(PrintWriter out, long elapsedNanos) {
    out.printf(
        Locale.ROOT,
        "produced %d %s (%s) to %s in %.2f s%n",
        records,
        records == 1 ? "record" : "records",
        Sizes.format(bytes),
        topic,
        elapsedNanos / 1e9);
    partitions.forEach(
        (partition, range) ->
            out.printf(
                Locale.ROOT,
                "partition %d: offsets %d to %d (%d %s)%n",
                partition,
                range.first(),
                range.last(),
                range.records(),
                range.records() == 1 ? "record" : "records"));
    out.flush();
  }
}
