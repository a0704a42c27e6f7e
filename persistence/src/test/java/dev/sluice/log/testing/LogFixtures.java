package dev.sluice.log.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.Compression;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.record.BatchFiles;
import dev.sluice.log.segment.SegmentFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * Storage settings for tests, leader logs with batches of exact sizes, and the byte-for-byte
 * comparison of two replicas' logs.
 */
public final class LogFixtures {
  private static final int MIB = 1024 * 1024;

  private LogFixtures() {}

  /**
   * The reference defaults (index entry every 4 KiB, fsync every batch, no retention) with the
   * given segment and batch limits.
   */
  public static StorageSettings storage(long segmentBytes, long maxBatchBytes) {
    return new StorageSettings(
        segmentBytes, 4096, maxBatchBytes, FlushPolicy.EVERY_BATCH, -1, Duration.ZERO);
  }

  /**
   * The value length of a one-record batch (null key, no headers) of exactly {@code totalSize}
   * bytes. A few sizes cannot be made, because the record's length varint grows by a byte just
   * there (e.g. 126: a 63-byte record body makes 125, a 64-byte one 127); they are refused.
   *
   * @throws IllegalArgumentException for a size no one-record batch has
   */
  public static long valueLengthForBatchOfSize(long totalSize) {
    long valueLength = totalSize - BatchLayout.MIN_BATCH_BYTES;
    while (valueLength > 0 && PartitionLog.batchSizeFor(null, List.of(), valueLength) > totalSize) {
      valueLength--;
    }
    if (valueLength < 0 || PartitionLog.batchSizeFor(null, List.of(), valueLength) != totalSize) {
      throw new IllegalArgumentException(
          "no one-record batch (null key, no headers) is exactly " + totalSize + " bytes");
    }
    return valueLength;
  }

  /**
   * Appends (at leader epoch 1) a one-record batch of exactly {@code totalSize} bytes ({@link
   * #valueLengthForBatchOfSize}), in bounded memory: values above 2 MiB go through a scratch file
   * in {@code scratchDir}. The high watermark moves to the new log end.
   */
  public static void appendBatchOfSize(PartitionLog log, Path scratchDir, long totalSize)
      throws IOException {
    long valueLength = valueLengthForBatchOfSize(totalSize);
    Random rnd = new Random(totalSize);
    if (valueLength <= 2 * MIB) {
      byte[] value = new byte[(int) valueLength];
      rnd.nextBytes(value);
      log.appendRecords(List.of(Record.of(null, value, LogTestSupport.TIMESTAMP)), 1);
    } else {
      Path valueFile = scratchDir.resolve("value-" + totalSize);
      byte[] chunk = new byte[MIB];
      try (OutputStream out = Files.newOutputStream(valueFile)) {
        for (long left = valueLength; left > 0; left -= chunk.length) {
          rnd.nextBytes(chunk);
          out.write(chunk, 0, (int) Math.min(chunk.length, left));
        }
      }
      log.appendValueFile(null, List.of(), valueFile, LogTestSupport.TIMESTAMP, 1);
      Files.delete(valueFile);
    }
    log.updateHighWatermark(log.logEndOffset());
  }

  /**
   * A batch of {@code records} as a leader stores it: built as a producer builds it (uncompressed,
   * CRC over the records) and stamped with {@code baseOffset} and {@code leaderEpoch}, the bytes a
   * follower receives. Position 0, limit its size.
   */
  public static ByteBuffer leaderBatch(long baseOffset, int leaderEpoch, List<Record> records) {
    ByteBuffer batch = MemoryBatchBuilder.build(records, Compression.NONE);
    BatchFiles.stamp(batch, baseOffset, leaderEpoch);
    return batch;
  }

  /**
   * Sluice's format 1 header: base offset, length, epoch and magic sat where v2 has them, and the
   * record count ended it at byte 47.
   */
  private static final int FORMAT_1_HEADER_BYTES = 47;

  /** A format-1 record with null key and value and no headers: three int32 lengths. */
  private static final int FORMAT_1_EMPTY_RECORD_BYTES = 12;

  /**
   * Writes a segment {@code <baseOffset>.log} in {@code dir} holding one format-1 batch (magic 1),
   * as an older version of Sluice wrote it, for the tests of the refusal of old logs.
   */
  public static Path writeFormat1Segment(Path dir, long baseOffset) throws IOException {
    Files.createDirectories(dir);
    ByteBuffer b = ByteBuffer.allocate(FORMAT_1_HEADER_BYTES + FORMAT_1_EMPTY_RECORD_BYTES);
    b.putLong(BatchLayout.BASE_OFFSET_OFFSET, baseOffset);
    b.putInt(BatchLayout.BATCH_LENGTH_OFFSET, b.capacity() - BatchLayout.LOG_OVERHEAD);
    b.putInt(BatchLayout.PARTITION_LEADER_EPOCH_OFFSET, 1);
    b.put(BatchLayout.MAGIC_OFFSET, (byte) 1);
    return Files.write(SegmentFiles.logFile(dir, baseOffset), b.array());
  }

  /** Both partition directories hold the same segment files with the same bytes. */
  public static void assertSegmentsIdentical(Path leaderDir, Path followerDir) throws IOException {
    List<Path> leader = SegmentFiles.list(leaderDir);
    List<Path> follower = SegmentFiles.list(followerDir);
    assertEquals(
        leader.stream().map(Path::getFileName).toList(),
        follower.stream().map(Path::getFileName).toList());
    for (int i = 0; i < leader.size(); i++) {
      assertEquals(
          -1L,
          Files.mismatch(leader.get(i), follower.get(i)),
          leader.get(i).getFileName() + " differs");
    }
  }
}
