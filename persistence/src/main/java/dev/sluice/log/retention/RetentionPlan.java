package dev.sluice.log.retention;

import dev.sluice.config.StorageSettings;
import java.util.List;

/**
 * Which old segments retention deletes: a pure decision over the segments' sizes, end offsets and
 * newest timestamps, so that its rules are tested as a table and the log keeps only the deletion
 * itself.
 *
 * <p>Rules, oldest segment first: a segment goes while the log is over {@code retention.bytes}
 * without it, or while its newest batch is older than {@code retention.time}. Only a prefix of the
 * segments goes: the first one that stays keeps every later one. The active (last) segment never
 * goes, and neither does one holding offsets at or above the high watermark, which may not be
 * replicated yet. Stateless; thread-safe.
 */
public final class RetentionPlan {
  private RetentionPlan() {}

  /**
   * What the decision needs of one segment.
   *
   * @param sizeInBytes the segment's committed bytes
   * @param nextOffset the offset after its last batch
   * @param newestTimestampMillis its newest batch's timestamp (epoch millis), or the file's
   *     modification time when the batches carry none
   */
  public record Segment(long sizeInBytes, long nextOffset, long newestTimestampMillis) {}

  /**
   * How many of {@code segments} to delete, counted from the oldest.
   *
   * @param segments every segment of the log, oldest first; the last one is the active one
   * @param highWatermark the log's high watermark
   * @param nowMillis the time by the log's clock
   */
  public static int segmentsToDelete(
      List<Segment> segments, long highWatermark, StorageSettings settings, long nowMillis) {
    long retentionMs = settings.retentionTime().toMillis();
    long retentionBytes = settings.retentionBytes();
    long total = 0;
    for (Segment s : segments) {
      total += s.sizeInBytes();
    }
    int doomed = 0;
    for (int i = 0; i < segments.size() - 1; i++) {
      Segment s = segments.get(i);
      if (s.nextOffset() > highWatermark) {
        break;
      }
      boolean expired = retentionMs > 0 && nowMillis - s.newestTimestampMillis() > retentionMs;
      boolean overSize = retentionBytes >= 0 && total - s.sizeInBytes() >= retentionBytes;
      if (!expired && !overSize) {
        break;
      }
      total -= s.sizeInBytes();
      doomed++;
    }
    return doomed;
  }
}
