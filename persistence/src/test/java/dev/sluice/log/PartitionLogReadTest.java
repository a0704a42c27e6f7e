package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.Header;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.log.record.ByteBufferBatches;
import dev.sluice.log.testing.LogTestSupport;
import dev.sluice.log.testing.MutableClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PartitionLogReadTest {
  /**
   * One record of a 1000-byte value without key or headers: length varint (2 bytes), attributes,
   * timestamp delta, offset delta and key length (1 each), value length varint (2), the value and
   * the header count (1).
   */
  static final int RECORD = 2 + 1 + 1 + 1 + 1 + 2 + 1000 + 1;

  /** A batch of 3 such records (checked against the builder below). */
  static final int BATCH = BatchLayout.HEADER_BYTES + 3 * RECORD;

  @Test
  void theBatchSizeOfTheseTestsIsTheBuildersSize() {
    Record r = Record.of(null, new byte[1000], TIMESTAMP);
    assertEquals(BATCH, MemoryBatchBuilder.sizeOf(List.of(r, r, r)));
  }

  @TempDir Path dir;

  private PartitionLog logWithBatches(int batches) throws IOException {
    PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock());
    for (int i = 0; i < batches; i++) {
      long o = log.logEndOffset();
      log.appendRecords(
          List.of(
              Record.of(null, LogTestSupport.value(o, 1000), TIMESTAMP),
              Record.of(null, LogTestSupport.value(o + 1, 1000), TIMESTAMP),
              Record.of(null, LogTestSupport.value(o + 2, 1000), TIMESTAMP)),
          1);
    }
    return log;
  }

  @ParameterizedTest(name = "maxBytes {0}")
  @ValueSource(ints = {0, 1, BATCH - 1, BATCH, BATCH + 1, 2 * BATCH - 1, 2 * BATCH, 10 * BATCH})
  void readReturnsWholeBatchesOnlyAndAlwaysAtLeastOne(int maxBytes) throws IOException {
    try (PartitionLog log = logWithBatches(40)) {
      for (long offset : new long[] {0, 1, 2, 3, 59, 119}) {
        FetchResult r = log.read(offset, maxBytes);
        long expectedBatches = Math.max(1, Math.min(maxBytes / BATCH, 40 - offset / 3));
        assertEquals(expectedBatches * BATCH, r.sizeInBytes(), "offset " + offset);
        assertEquals(offset - offset % 3, r.slices().get(0).baseOffset(), "starts at the batch");
        assertWholeBatches(r);
      }
    }
  }

  @Test
  void readAtTheLogEndIsEmptyAndOutsideTheRangeIsRefused() throws IOException {
    try (PartitionLog log = logWithBatches(2)) {
      FetchResult r = log.read(6, 1000);
      assertTrue(r.slices().isEmpty());
      assertEquals(6, r.logEndOffset());
      OffsetOutOfRangeException e =
          assertThrows(OffsetOutOfRangeException.class, () -> log.read(7, 1000));
      assertTrue(e.getMessage().endsWith("offset 7 is out of range; valid offsets are [0, 6]"));
      assertThrows(OffsetOutOfRangeException.class, () -> log.read(-1, 1000));
    }
  }

  @Test
  void readSpansSegmentsWithOneSlicePerSegment() throws IOException {
    try (PartitionLog log = logWithBatches(60)) {
      assertTrue(log.segmentCount() >= 3, "segments: " + log.segmentCount());
      FetchResult all = log.read(0, Long.MAX_VALUE);
      assertEquals(log.segmentCount(), all.slices().size());
      assertEquals(180, all.nextOffset());
      assertEquals(log.sizeInBytes(), all.sizeInBytes());
      assertWholeBatches(all);
      for (int i = 1; i < all.slices().size(); i++) {
        assertEquals(all.slices().get(i - 1).lastOffset() + 1, all.slices().get(i).baseOffset());
        assertEquals(0, all.slices().get(i).position());
      }
      // A budget ending just past a segment boundary takes the next segment's first batch.
      LogSlice first = all.slices().get(0);
      FetchResult twoSegments = log.read(first.lastOffset() - 2, 2 * BATCH);
      assertEquals(2, twoSegments.slices().size());
      assertEquals(2 * BATCH, twoSegments.sizeInBytes());
    }
  }

  @ParameterizedTest(name = "maxBytes {0}")
  @ValueSource(ints = {0, BATCH - 1, BATCH, 5 * BATCH + 7, 200 * BATCH})
  void readBatchesSplitsTheSameBytesIntoOneSlicePerBatch(int maxBytes) throws IOException {
    try (PartitionLog log = logWithBatches(60)) {
      for (long offset : new long[] {0, 4, 59, 179}) {
        FetchResult segments = log.read(offset, maxBytes);
        FetchResult batches = log.readBatches(offset, maxBytes);
        assertEquals(segments.sizeInBytes(), batches.sizeInBytes(), "offset " + offset);
        assertEquals(segments.nextOffset(), batches.nextOffset());
        assertEquals(segments.sizeInBytes() / BATCH, batches.slices().size());
        long expectedBase = offset - offset % 3;
        for (LogSlice b : batches.slices()) {
          assertEquals(BATCH, b.length());
          assertEquals(expectedBase, b.baseOffset());
          assertEquals(expectedBase + 2, b.lastOffset());
          expectedBase = b.lastOffset() + 1;
        }
        assertEquals(LogTestSupport.bytesOf(segments), LogTestSupport.bytesOf(batches));
      }
      assertTrue(log.readBatches(180, 1000).slices().isEmpty());
      assertThrows(OffsetOutOfRangeException.class, () -> log.readBatches(181, 1000));
    }
  }

  @Test
  void fetchingRepeatedlyWalksTheWholeLog() throws IOException {
    try (PartitionLog log = logWithBatches(60)) {
      long offset = 0;
      int fetches = 0;
      while (offset < log.logEndOffset()) {
        FetchResult r = log.read(offset, 5 * BATCH + 7);
        offset = r.nextOffset();
        fetches++;
      }
      assertEquals(180, offset);
      assertTrue(fetches >= 12);
    }
  }

  @Test
  void oversizedBatchIsReturnedWholeEvenIfLargerThanMaxBytes() throws IOException {
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      log.appendRecords(List.of(Record.of(null, new byte[50_000], TIMESTAMP)), 0);
      FetchResult r = log.read(0, 1024);
      assertEquals(PartitionLog.batchSizeFor(null, List.of(), 50_000), r.sizeInBytes());
    }
  }

  @Test
  void locateGivesKeyHeadersAndValuePosition() throws IOException {
    MutableClock clock = clock();
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock)) {
      byte[] v = "hello".getBytes(StandardCharsets.UTF_8);
      log.appendRecords(List.of(Record.of(null, null, TIMESTAMP)), 2);
      log.appendRecords(
          List.of(
              Record.of(null, null, TIMESTAMP),
              new Record(
                  "key".getBytes(StandardCharsets.UTF_8),
                  v,
                  List.of(
                      new Header("content-type", "text/plain".getBytes(StandardCharsets.UTF_8))),
                  TIMESTAMP + 5)),
          3);
      RecordLocation r = log.locate(2).orElseThrow();
      assertEquals(2, r.offset());
      assertEquals(1, r.batchBaseOffset());
      assertEquals(3, r.leaderEpoch());
      assertEquals(TIMESTAMP + 5, r.timestamp(), "the record's own CreateTime");
      assertEquals("content-type", r.headers().get(0).key());
      assertEquals(5, r.valueLength());
      assertEquals("hello", new String(r.readValue(), StandardCharsets.UTF_8));
      assertEquals(-1, log.locate(0).orElseThrow().valueLength());
      assertTrue(log.locate(3).isEmpty());
      assertEquals(3, log.latestLeaderEpoch());
    }
  }

  private static void assertWholeBatches(FetchResult r) throws IOException {
    ByteBuffer bytes = LogTestSupport.bytesOf(r);
    ByteBufferBatches batches =
        new ByteBufferBatches(bytes, BatchLimit.segmentBytes(1 << 20), "fetch", 0);
    long expected = r.slices().get(0).baseOffset();
    for (ByteBuffer b = batches.nextBatch(); b != null; b = batches.nextBatch()) {
      BatchHeader h = BatchHeader.parse(b, BatchLimit.segmentBytes(1 << 20), "fetch", 0);
      assertEquals(expected, h.baseOffset());
      expected = h.nextOffset();
    }
    assertEquals(0, batches.remaining(), "no partial batch");
    assertEquals(r.nextOffset(), expected);
  }
}
