package dev.sluice.log;

import static dev.sluice.log.testing.LogFixtures.valueLengthForBatchOfSize;
import static dev.sluice.log.testing.LogTestSupport.MAX_BATCH_BYTES;
import static dev.sluice.log.testing.LogTestSupport.SEGMENT_BYTES;
import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SettingsException;
import dev.sluice.config.SettingsValidator;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Size tables around every limit: header size, max-batch-bytes and segment-bytes. */
class PartitionLogSizeLimitTest {
  /** The smallest batch: one record with a null key, a null value and no headers. */
  static final int OVERHEAD = BatchLayout.MIN_BATCH_BYTES;

  /** The largest value of a one-record batch (null key, no headers) within max-batch-bytes. */
  static final int MAX_VALUE = (int) LogFixtures.valueLengthForBatchOfSize(MAX_BATCH_BYTES);

  @TempDir Path dir;

  static Stream<Arguments> valueSizes() {
    List<Arguments> rows = new ArrayList<>();
    int[][] table = {
      // value length, accepted (1) or rejected (0)
      {0, 1},
      {1, 1},
      {BatchLayout.HEADER_BYTES - 1, 1},
      {BatchLayout.HEADER_BYTES, 1},
      {BatchLayout.HEADER_BYTES + 1, 1},
      // the record's length varint takes a second byte from a 64-byte record body on
      {57, 1},
      {58, 1},
      {MAX_VALUE - 1, 1},
      {MAX_VALUE, 1},
      {MAX_VALUE + 1, 0},
      {(int) SEGMENT_BYTES - 1, 0},
      {(int) SEGMENT_BYTES, 0},
      {(int) SEGMENT_BYTES + 1, 0},
    };
    for (int[] row : table) {
      for (boolean fromFile : new boolean[] {false, true}) {
        rows.add(Arguments.of(row[0], row[1] == 1, fromFile));
      }
    }
    return rows.stream();
  }

  @ParameterizedTest(name = "value {0} bytes, accepted={1}, fromFile={2}")
  @MethodSource("valueSizes")
  void valueSizeTable(int valueLength, boolean accepted, boolean fromFile) throws IOException {
    byte[] value = LogTestSupport.value(0, valueLength);
    long batchSize = PartitionLog.batchSizeFor(null, List.of(), valueLength);
    // The streaming layout's arithmetic agrees with the batch the memory builder makes.
    assertEquals(MemoryBatchBuilder.sizeOf(List.of(Record.of(null, value, TIMESTAMP))), batchSize);
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      log.appendRecords(List.of(Record.of(null, new byte[] {1}, TIMESTAMP)), 0);
      long sizeBefore = log.sizeInBytes();
      long fileBefore = Files.size(LogTestSupport.activeLogFile(log));
      if (accepted) {
        AppendInfo info = append(log, value, fromFile);
        assertEquals(1, info.baseOffset());
        assertEquals(1, info.lastOffset());
        assertEquals(batchSize, info.sizeInBytes());
        assertEquals(2, info.logEndOffset());
        RecordLocation r = log.locate(1).orElseThrow();
        assertEquals(valueLength, r.valueLength());
        assertArrayEquals(value, r.readValue());
      } else {
        RecordTooLargeException e =
            assertThrows(RecordTooLargeException.class, () -> append(log, value, fromFile));
        assertEquals(
            "batch of " + batchSize + " bytes exceeds max-batch-bytes " + MAX_BATCH_BYTES,
            e.getMessage());
        assertEquals(1, log.logEndOffset());
        assertEquals(sizeBefore, log.sizeInBytes());
        assertEquals(fileBefore, Files.size(LogTestSupport.activeLogFile(log)));
      }
    }
  }

  private AppendInfo append(PartitionLog log, byte[] value, boolean fromFile) throws IOException {
    if (!fromFile) {
      return log.appendRecords(List.of(Record.of(null, value, TIMESTAMP)), 0);
    }
    Path file = Files.write(dir.resolve("value-" + value.length), value);
    return log.appendValueFile(null, List.of(), file, TIMESTAMP, 0);
  }

  static Stream<Arguments> segmentFill() {
    // Second batch size relative to the room left in the segment: -1 and 0 fit, +1 rolls.
    return Stream.of(Arguments.of(-1, 1), Arguments.of(0, 1), Arguments.of(1, 2));
  }

  @ParameterizedTest(name = "room {0}: segments={1}")
  @MethodSource("segmentFill")
  void rollsOnlyWhenTheBatchWouldPassSegmentBytes(int delta, int segments) throws IOException {
    long half = SEGMENT_BYTES / 2;
    StorageSettingsRow row = new StorageSettingsRow(half, SEGMENT_BYTES - half + delta);
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      log.appendRecords(
          List.of(Record.of(null, new byte[(int) valueLengthForBatchOfSize(row.first)], TIMESTAMP)),
          0);
      log.appendRecords(
          List.of(
              Record.of(null, new byte[(int) valueLengthForBatchOfSize(row.second)], TIMESTAMP)),
          0);
      assertEquals(segments, log.segmentCount());
      assertEquals(SEGMENT_BYTES + delta, log.sizeInBytes());
      FetchResult all = log.read(0, Long.MAX_VALUE);
      assertEquals(segments, all.slices().size());
      assertEquals(2, all.nextOffset());
      if (segments == 2) {
        assertTrue(Files.exists(log.dir().resolve("00000000000000000001.log")));
      }
    }
  }

  private record StorageSettingsRow(long first, long second) {}

  @Test
  void aBatchOfExactlySegmentBytesFitsAnEmptySegment() throws IOException {
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      log.appendRecords(List.of(Record.of(null, new byte[1], TIMESTAMP)), 0);
      log.appendRecords(List.of(Record.of(null, new byte[MAX_VALUE], TIMESTAMP)), 0);
      log.appendRecords(List.of(Record.of(null, new byte[MAX_VALUE], TIMESTAMP)), 0);
      assertEquals(3, log.segmentCount());
      assertEquals(SEGMENT_BYTES, Files.size(log.dir().resolve("00000000000000000001.log")));
    }
  }

  @ParameterizedTest(name = "segment-bytes {0}, max-batch-bytes {1}")
  @MethodSource("badSettings")
  void impossibleSettingsAreRefusedWithTheKeyNamed(long segment, long maxBatch, String key) {
    SettingsException e =
        assertThrows(
            SettingsException.class,
            () -> PartitionLog.open(dir.resolve("p"), settings(segment, maxBatch), clock()));
    assertEquals(1, e.violations().size(), e.getMessage());
    assertTrue(e.violations().get(0).startsWith(key + ": "), e.getMessage());
    assertFalse(Files.exists(dir.resolve("p")), "nothing is created for refused settings");
  }

  static Stream<Arguments> badSettings() {
    return Stream.of(
        Arguments.of(1L << 31, 1024L, "sluice.storage.segment-bytes = 2147483648"),
        Arguments.of(65536L, 65537L, "sluice.storage.max-batch-bytes = 65537"),
        Arguments.of(
            65536L, (long) OVERHEAD - 1, "sluice.storage.max-batch-bytes = " + (OVERHEAD - 1)));
  }

  @Test
  void theValidatorsSmallestBatchIsTheBatchFormatsSmallestBatch() throws IOException {
    assertEquals(OVERHEAD, SettingsValidator.MIN_BATCH_BYTES);
    assertEquals(OVERHEAD, MemoryBatchBuilder.sizeOf(List.of(Record.of(null, null, TIMESTAMP))));
    try (PartitionLog log =
        PartitionLog.open(dir.resolve("p"), settings(OVERHEAD, OVERHEAD), clock())) {
      log.appendRecords(List.of(Record.of(null, null, TIMESTAMP)), 0);
      log.appendRecords(List.of(Record.of(null, null, TIMESTAMP)), 0);
      assertEquals(2, log.segmentCount(), "each smallest batch fills a segment of its size");
      RecordTooLargeException e =
          assertThrows(
              RecordTooLargeException.class,
              () -> log.appendRecords(List.of(Record.of(null, new byte[1], TIMESTAMP)), 0));
      assertEquals(OVERHEAD + 1, e.size());
    }
  }
}
