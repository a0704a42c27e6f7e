package dev.sluice.log.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.FetchResult;
import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.RecordLocation;
import dev.sluice.log.segment.SegmentFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Small settings and helpers of the partition log tests: settings with a small segment, a fixed
 * clock, records whose bytes identify their offset, and checks that read them back.
 */
public final class LogTestSupport {
  public static final int KIB = 1024;
  public static final long SEGMENT_BYTES = 64 * KIB;
  public static final long MAX_BATCH_BYTES = 64 * KIB;

  /** The instant {@link #clock()} starts at, in epoch millis: the CreateTime of test records. */
  public static final long TIMESTAMP = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

  private LogTestSupport() {}

  public static StorageSettings settings() {
    return settings(SEGMENT_BYTES, MAX_BATCH_BYTES);
  }

  public static StorageSettings settings(long segmentBytes, long maxBatchBytes) {
    return new StorageSettings(
        segmentBytes, 1024, maxBatchBytes, FlushPolicy.OS, -1, Duration.ZERO);
  }

  public static MutableClock clock() {
    return new MutableClock(Instant.ofEpochMilli(TIMESTAMP));
  }

  /** A value whose bytes identify its offset, so a misplaced read is caught. */
  public static byte[] value(long offset, int length) {
    byte[] v = new byte[length];
    for (int i = 0; i < length; i++) {
      v[i] = (byte) (offset * 31 + i);
    }
    return v;
  }

  public static byte[] key(long offset) {
    return ("k" + offset).getBytes(StandardCharsets.UTF_8);
  }

  public static Record record(long offset, int valueLength) {
    return Record.of(key(offset), value(offset, valueLength), TIMESTAMP);
  }

  /** Appends {@code count} one-record batches and returns the log end offset. */
  public static long appendBatches(PartitionLog log, int count, int valueLength)
      throws IOException {
    return appendBatches(
        log, count, valueLength, Clock.fixed(Instant.ofEpochMilli(TIMESTAMP), ZoneOffset.UTC));
  }

  /**
   * Appends {@code count} one-record batches whose records carry {@code clock}'s time as their
   * CreateTime (time-based retention reads it), and returns the log end offset.
   */
  public static long appendBatches(PartitionLog log, int count, int valueLength, Clock clock)
      throws IOException {
    for (int i = 0; i < count; i++) {
      long offset = log.logEndOffset();
      log.appendRecords(
          List.of(Record.of(key(offset), value(offset, valueLength), clock.millis())), 1);
    }
    return log.logEndOffset();
  }

  /** Checks that every offset in {@code [from, to)} holds the record {@link #record} made. */
  public static void assertRecordsIntact(PartitionLog log, long from, long to, int valueLength)
      throws IOException {
    for (long o = from; o < to; o++) {
      RecordLocation r = log.locate(o).orElseThrow(() -> new AssertionError("missing offset"));
      assertEquals(o, r.offset());
      assertArrayEquals(key(o), r.key(), "key of offset " + o);
      assertArrayEquals(value(o, valueLength), r.readValue(), "value of offset " + o);
    }
  }

  /** The bytes of a fetch, concatenated. */
  public static ByteBuffer bytesOf(FetchResult result) throws IOException {
    ByteBuffer out = ByteBuffer.allocate((int) result.sizeInBytes());
    for (LogSlice s : result.slices()) {
      s.region().readInto(out);
    }
    return out.flip();
  }

  public static Path activeLogFile(PartitionLog log) throws IOException {
    List<Path> files = logFiles(log.dir());
    return files.get(files.size() - 1);
  }

  public static List<Path> logFiles(Path dir) throws IOException {
    return SegmentFiles.list(dir);
  }
}
