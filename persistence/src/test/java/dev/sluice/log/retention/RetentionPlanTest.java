package dev.sluice.log.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetentionPlanTest {
  private static final long NOW = 1_000_000;

  /**
   * Four segments of 100 bytes and 10 offsets each (the last one active), whose newest batches are
   * 400, 300, 200 and 100 ms old.
   */
  private static List<RetentionPlan.Segment> fourSegments() {
    List<RetentionPlan.Segment> segments = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      segments.add(new RetentionPlan.Segment(100, 10L * (i + 1), NOW - 100L * (4 - i)));
    }
    return segments;
  }

  private static StorageSettings retention(long bytes, long millis) {
    return new StorageSettings(
        1 << 20, 4096, 1 << 20, FlushPolicy.OS, bytes, Duration.ofMillis(millis));
  }

  @ParameterizedTest(name = "retention.bytes {0}, retention.time {1} ms, hw {2}: delete {3}")
  @CsvSource({
    // no limit: nothing goes
    "-1, 0, 40, 0",
    // by size: the log is 400 bytes; a segment goes while the rest still reaches the limit
    "400, 0, 40, 0",
    "300, 0, 40, 1",
    "299, 0, 40, 1",
    "200, 0, 40, 2",
    "1, 0, 40, 3",
    // never the active segment, however small the limit
    "100, 0, 40, 3",
    // by time: older than the limit, strictly
    "-1, 400, 40, 0",
    "-1, 399, 40, 1",
    "-1, 250, 40, 2",
    "-1, 1, 40, 3",
    // never at or above the high watermark: a segment goes only if it ends at or below it
    "1, 0, 0, 0",
    "1, 0, 9, 0",
    "1, 0, 10, 1",
    "1, 0, 25, 2",
    "-1, 1, 29, 2",
    // either limit is enough
    "300, 250, 40, 2",
    "200, 399, 40, 2",
  })
  void deletesTheOldestSegmentsTheLimitsAllow(
      long bytes, long millis, long highWatermark, int expected) {
    assertEquals(
        expected,
        RetentionPlan.segmentsToDelete(
            fourSegments(), highWatermark, retention(bytes, millis), NOW));
  }

  @Test
  void aYoungSegmentBetweenOldOnesKeepsEveryLaterSegment() {
    List<RetentionPlan.Segment> segments = fourSegments();
    segments.set(1, new RetentionPlan.Segment(100, 20, NOW));
    assertEquals(1, RetentionPlan.segmentsToDelete(segments, 40, retention(-1, 150), NOW));
  }
}
