package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.testing.LogTestSupport;
import dev.sluice.log.testing.MutableClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PartitionLogTruncationAndRetentionTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "truncate to {0}")
  @ValueSource(longs = {0, 1, 85, 86, 87, 150, 199})
  void truncateThenReappendContinuesAtTheCut(long offset) throws IOException {
    Path p = dir.resolve("p");
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      LogTestSupport.appendBatches(log, 200, 700);
      log.updateHighWatermark(190);
      log.truncateTo(offset);
      assertEquals(offset, log.logEndOffset());
      assertEquals(Math.min(190, offset), log.highWatermark());
      assertTrue(log.locate(offset).isEmpty());
      assertThrows(OffsetOutOfRangeException.class, () -> log.read(offset + 1, 100));
      LogTestSupport.appendBatches(log, 5, 700);
      LogTestSupport.assertRecordsIntact(log, 0, offset + 5, 700);
      assertEquals(offset + 5, log.read(0, Long.MAX_VALUE).nextOffset());
    }
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      assertEquals(offset + 5, log.logEndOffset());
      LogTestSupport.assertRecordsIntact(log, 0, offset + 5, 700);
    }
  }

  @Test
  void truncateInsideABatchDropsTheWholeBatch() throws IOException {
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      log.appendRecords(List.of(LogTestSupport.record(0, 10)), 5);
      log.appendRecords(
          List.of(
              LogTestSupport.record(1, 10),
              LogTestSupport.record(2, 10),
              LogTestSupport.record(3, 10)),
          6);
      assertEquals(6, log.latestLeaderEpoch());
      log.truncateTo(2);
      assertEquals(1, log.logEndOffset());
      assertEquals(5, log.latestLeaderEpoch());
      log.truncateTo(0);
      assertEquals(0, log.logEndOffset());
      assertEquals(-1, log.latestLeaderEpoch());
    }
  }

  @Test
  void truncateFullyAndStartAtMovesBothEnds() throws IOException {
    Path p = dir.resolve("p");
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      LogTestSupport.appendBatches(log, 10, 10);
      log.truncateFullyAndStartAt(500);
      assertEquals(500, log.logStartOffset());
      assertEquals(500, log.logEndOffset());
      assertEquals(500, log.highWatermark());
      log.appendRecords(List.of(LogTestSupport.record(500, 10)), 1);
    }
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      assertEquals(500, log.logStartOffset());
      assertEquals(501, log.logEndOffset());
      LogTestSupport.assertRecordsIntact(log, 500, 501, 10);
    }
  }

  @Test
  void retentionByBytesDeletesOldSegmentsBelowTheHighWatermark() throws IOException {
    StorageSettings s =
        new StorageSettings(64 * 1024, 1024, 64 * 1024, FlushPolicy.OS, 100_000, Duration.ZERO);
    Path p = dir.resolve("p");
    try (PartitionLog log = PartitionLog.open(p, s, clock())) {
      LogTestSupport.appendBatches(log, 400, 700);
      int before = log.segmentCount();
      assertTrue(before >= 5);
      assertEquals(0, log.applyRetention(), "nothing is committed yet");
      log.updateHighWatermark(log.logEndOffset());
      int deleted = log.applyRetention();
      assertTrue(deleted > 0);
      assertEquals(before - deleted, log.segmentCount());
      assertTrue(log.sizeInBytes() >= 100_000, "keeps at least retention-bytes");
      assertTrue(log.sizeInBytes() < 100_000 + 64 * 1024);
      long start = log.logStartOffset();
      assertTrue(start > 0);
      assertThrows(OffsetOutOfRangeException.class, () -> log.read(start - 1, 100));
      assertEquals(start, log.read(start, 1).slices().get(0).baseOffset());
      LogTestSupport.assertRecordsIntact(log, start, log.logEndOffset(), 700);
      assertEquals(0, log.applyRetention());
    }
    try (PartitionLog log = PartitionLog.open(p, s, clock())) {
      assertTrue(log.logStartOffset() > 0);
      assertEquals(400, log.logEndOffset());
    }
  }

  @Test
  void retentionByTimeUsesTheNewestBatchTimestampOfEachSegment() throws IOException {
    StorageSettings s =
        new StorageSettings(64 * 1024, 1024, 64 * 1024, FlushPolicy.OS, -1, Duration.ofHours(1));
    MutableClock clock = clock();
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), s, clock)) {
      LogTestSupport.appendBatches(log, 200, 700, clock);
      int oldSegments = log.segmentCount();
      clock.advance(Duration.ofMinutes(30));
      LogTestSupport.appendBatches(log, 200, 700, clock);
      log.updateHighWatermark(log.logEndOffset());
      int total = log.segmentCount();

      clock.advance(Duration.ofMinutes(30));
      assertEquals(0, log.applyRetention(), "exactly one hour old is kept");
      clock.advance(Duration.ofMillis(1));
      // The last old segment also holds new batches, so its newest timestamp is recent.
      assertEquals(oldSegments - 1, log.applyRetention());
      assertEquals(total - oldSegments + 1, log.segmentCount());
      clock.advance(Duration.ofDays(1));
      assertEquals(total - oldSegments, log.applyRetention());
      assertEquals(1, log.segmentCount(), "the active segment is never deleted");
      assertEquals(400, log.logEndOffset());
      log.appendRecords(List.of(Record.of(null, null, TIMESTAMP)), 1);
    }
  }
}
