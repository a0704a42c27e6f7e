package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.BatchLayout;
import dev.sluice.format.Record;
import dev.sluice.log.segment.SegmentFiles;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Corrupt-then-recover: the log must come back at its last good batch, intact below it. */
class PartitionLogRecoveryTest {
  @TempDir Path root;

  /** One batch per offset, with random value lengths; remembers where each batch was written. */
  private static final class Written {
    final List<Integer> lengths = new ArrayList<>();
    final List<LogSlice> batches = new ArrayList<>();

    void append(PartitionLog log, Random random) throws IOException {
      long offset = log.logEndOffset();
      int length = random.nextInt(3000);
      lengths.add(length);
      log.appendRecords(List.of(LogTestSupport.record(offset, length)), 1);
      batches.add(log.read(offset, 1).slices().get(0));
    }

    void assertIntact(PartitionLog log, long to) throws IOException {
      for (long o = 0; o < to; o++) {
        RecordLocation r = log.locate(o).orElseThrow();
        assertArrayEquals(LogTestSupport.key(o), r.key(), "key of " + o);
        assertArrayEquals(
            LogTestSupport.value(o, lengths.get((int) o)), r.readValue(), "value of " + o);
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void garbageAtARandomTailPositionCutsTheLogAtTheLastGoodBatch(long seed) throws IOException {
    Random random = new Random(seed);
    Path dir = root.resolve("p");
    Written written = new Written();
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      for (int i = 0; i < 80; i++) {
        written.append(log, random);
      }
    }
    Path active = LogTestSupport.logFiles(dir).get(LogTestSupport.logFiles(dir).size() - 1);
    long fileEnd = Files.size(active);
    long garbageAt = random.nextInt((int) fileEnd + 1);
    byte[] garbage = new byte[16 + random.nextInt(4000)];
    random.nextBytes(garbage);
    writeAt(active, garbageAt, garbage);
    simulateCrash(dir);

    long expectedEnd = written.batches.size();
    for (int o = 0; o < written.batches.size(); o++) {
      LogSlice b = written.batches.get(o);
      if (b.segmentFile().equals(active) && garbageAt < b.position() + b.length()) {
        expectedEnd = o;
        break;
      }
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(expectedEnd, log.logEndOffset(), "garbage at " + garbageAt);
      written.assertIntact(log, expectedEnd);
      written.lengths.subList((int) expectedEnd, written.lengths.size()).clear();
      written.append(log, random);
      assertEquals(expectedEnd + 1, log.logEndOffset());
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(expectedEnd + 1, log.logEndOffset());
      written.assertIntact(log, expectedEnd + 1);
    }
  }

  @ParameterizedTest(name = "cut {0} bytes into the last batch")
  @ValueSource(
      ints = {
        1,
        BatchLayout.LOG_OVERHEAD - 1,
        BatchLayout.LOG_OVERHEAD,
        BatchLayout.HEADER_BYTES - 1,
        BatchLayout.HEADER_BYTES,
        BatchLayout.HEADER_BYTES + 1,
        500
      })
  void tornLastBatchIsCut(int keep) throws IOException {
    Path dir = root.resolve("p");
    LogSlice lastBatch;
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      LogTestSupport.appendBatches(log, 10, 600);
      lastBatch = log.read(9, 1).slices().get(0);
    }
    try (FileChannel ch = FileChannel.open(lastBatch.segmentFile(), StandardOpenOption.WRITE)) {
      ch.truncate(lastBatch.position() + keep);
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(9, log.logEndOffset());
      assertEquals(lastBatch.position(), Files.size(lastBatch.segmentFile()));
      LogTestSupport.assertRecordsIntact(log, 0, 9, 600);
      log.appendRecords(List.of(LogTestSupport.record(9, 600)), 1);
      LogTestSupport.assertRecordsIntact(log, 0, 10, 600);
    }
  }

  @ParameterizedTest(name = "crash={0}")
  @ValueSource(booleans = {false, true})
  void deletedIndexIsRebuilt(boolean crash) throws IOException {
    Path dir = root.resolve("p");
    long end;
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      end = LogTestSupport.appendBatches(log, 200, 700);
    }
    List<Path> indexes = indexFiles(dir);
    List<Long> sizes = new ArrayList<>();
    for (Path p : indexes) {
      sizes.add(Files.size(p));
      Files.delete(p);
    }
    if (crash) {
      simulateCrash(dir);
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(end, log.logEndOffset());
      for (int i = 0; i < indexes.size(); i++) {
        assertEquals(sizes.get(i), Files.size(indexes.get(i)), indexes.get(i).toString());
      }
      LogTestSupport.assertRecordsIntact(log, 0, end, 700);
    }
  }

  @Test
  void corruptIndexIsRebuilt() throws IOException {
    Path dir = root.resolve("p");
    long end;
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      end = LogTestSupport.appendBatches(log, 200, 700);
    }
    List<Path> indexes = indexFiles(dir);
    // Entries past the log end in one index, non-monotonic entries in another, a torn entry in
    // the last one.
    writeAt(indexes.get(0), 8, ByteBuffer.allocate(8).putInt(3).putInt(Integer.MAX_VALUE).array());
    writeAt(
        indexes.get(1),
        0,
        ByteBuffer.allocate(16).putInt(50).putInt(9000).putInt(2).putInt(10).array());
    Files.write(indexes.get(indexes.size() - 1), new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(end, log.logEndOffset());
      LogTestSupport.assertRecordsIntact(log, 0, end, 700);
      assertEquals(end, log.read(0, Long.MAX_VALUE).nextOffset());
    }
  }

  @Test
  void indexEntryPointingIntoABatchDoesNotCutGoodData() throws IOException {
    Path dir = root.resolve("p");
    long end;
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      end = LogTestSupport.appendBatches(log, 20, 700);
    }
    List<Path> indexes = indexFiles(dir);
    Path last = indexes.get(indexes.size() - 1);
    long entries = Files.size(last) / 8;
    assertTrue(entries > 0);
    // Shift the last entry's position by 5: it still sorts, but points inside a batch.
    ByteBuffer entry = ByteBuffer.wrap(Files.readAllBytes(last), (int) (entries - 1) * 8, 8);
    int rel = entry.getInt();
    int pos = entry.getInt();
    writeAt(last, (entries - 1) * 8, ByteBuffer.allocate(8).putInt(rel).putInt(pos + 5).array());
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(end, log.logEndOffset());
      LogTestSupport.assertRecordsIntact(log, 0, end, 700);
    }
  }

  @Test
  void tornBatchInAnOlderSegmentCutsTheLogThereAndDropsLaterSegments() throws IOException {
    Path dir = root.resolve("p");
    LogSlice lastOfSecond;
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      LogTestSupport.appendBatches(log, 300, 700);
      assertTrue(log.segmentCount() >= 3);
      Path second = LogTestSupport.logFiles(dir).get(1);
      long thirdBase =
          SegmentFiles.parse(LogTestSupport.logFiles(dir).get(2), SegmentFiles.LOG_SUFFIX)
              .getAsLong();
      lastOfSecond = log.read(thirdBase - 1, 1).slices().get(0);
      assertEquals(second, lastOfSecond.segmentFile());
    }
    // Tear the older segment's last batch: its header stays, its end is gone.
    try (FileChannel ch = FileChannel.open(lastOfSecond.segmentFile(), StandardOpenOption.WRITE)) {
      ch.truncate(lastOfSecond.position() + lastOfSecond.length() - 100);
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(lastOfSecond.baseOffset(), log.logEndOffset());
      assertEquals(2, log.segmentCount());
      assertEquals(2, LogTestSupport.logFiles(dir).size());
      LogTestSupport.assertRecordsIntact(log, 0, log.logEndOffset(), 700);
      long next = log.logEndOffset();
      log.appendRecords(List.of(LogTestSupport.record(next, 700)), 1);
      LogTestSupport.assertRecordsIntact(log, 0, next + 1, 700);
    }
  }

  @Test
  void highWatermarkSurvivesReopenAndIsClampedAfterATruncatedTail() throws IOException {
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      LogTestSupport.appendBatches(log, 10, 100);
      log.updateHighWatermark(7);
      assertEquals(7, log.highWatermark());
      log.updateHighWatermark(1000);
      assertEquals(10, log.highWatermark());
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(10, log.highWatermark());
    }
    Path active = LogTestSupport.logFiles(dir).get(0);
    try (FileChannel ch = FileChannel.open(active, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 10);
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(9, log.logEndOffset());
      assertEquals(9, log.highWatermark());
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(9, log.highWatermark(), "the clamped value was checkpointed");
    }
  }

  @Test
  void leftoverTempAndOrphanFilesAreRemovedAtOpen() throws IOException {
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      LogTestSupport.appendBatches(log, 3, 10);
      Files.write(log.staging().newTempFile("upload"), new byte[] {1, 2});
    }
    Path tmp = Files.write(dir.resolve(PartitionLog.HIGH_WATERMARK_FILE + ".tmp"), new byte[] {9});
    Path orphan = Files.write(SegmentFiles.indexFile(dir, 12345), new byte[8]);
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertFalse(Files.exists(tmp));
      assertFalse(Files.exists(orphan));
      try (var files = Files.list(dir.resolve(PartitionLog.STAGING_DIR))) {
        assertEquals(0, files.count());
      }
      assertEquals(3, log.logEndOffset());
    }
  }

  @Test
  void emptyLogReopensEmpty() throws IOException {
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(0, log.logEndOffset());
      assertEquals(-1, log.latestLeaderEpoch());
    }
    simulateCrash(dir);
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(0, log.logEndOffset());
      log.appendRecords(List.of(Record.of(null, null, TIMESTAMP)), 4);
      assertEquals(4, log.latestLeaderEpoch());
    }
  }

  private static void simulateCrash(Path dir) throws IOException {
    Files.deleteIfExists(dir.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE));
  }

  private static List<Path> indexFiles(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(SegmentFiles.INDEX_SUFFIX)).sorted().toList();
    }
  }

  private static void writeAt(Path file, long position, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      long p = position;
      while (buf.hasRemaining()) {
        p += ch.write(buf, p);
      }
    }
  }
}
