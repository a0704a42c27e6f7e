package dev.sluice.log.record;

import static dev.sluice.log.record.RecordBatch.*;

import java.nio.ByteBuffer;

/**
 * The fixed 47-byte header of a record batch, decoded (layout in {@link RecordBatch}).
 *
 * <p>Parsing follows Kafka's {@code ByteBufferLogInputStream}: fewer bytes than needed is a normal
 * "need more bytes" answer ({@link #NEED_MORE_BYTES} or {@code null}), while an impossible value is
 * a {@link CorruptRecordException} naming the source, position, value and limit. Length and magic
 * are checked as soon as their bytes are present, so a receiver never waits for a batch that cannot
 * exist.
 */
public record BatchHeader(
    long baseOffset,
    int batchLength,
    int leaderEpoch,
    byte magic,
    int crc,
    short attributes,
    int lastOffsetDelta,
    long firstTimestamp,
    long maxTimestamp,
    int recordCount) {

  /** Returned by {@link #peekTotalSize} when the buffer does not yet show the batch size. */
  public static final long NEED_MORE_BYTES = -1;

  public long totalSize() {
    return LOG_OVERHEAD + (long) batchLength;
  }

  public long lastOffset() {
    return baseOffset + lastOffsetDelta;
  }

  public long nextOffset() {
    return lastOffset() + 1;
  }

  /**
   * The total size of the batch that starts at {@code buf.position()}, or {@link #NEED_MORE_BYTES}
   * while fewer than {@link RecordBatch#HEADER_BYTES} bytes are present. Throws {@link
   * CorruptRecordException} for an impossible length or magic as soon as those bytes are present.
   * Does not move the buffer's position.
   */
  public static long peekTotalSize(ByteBuffer buf, BatchLimit limit, String source, long position) {
    int p = buf.position();
    int available = buf.remaining();
    if (available >= LOG_OVERHEAD) {
      checkLength(buf.getLong(p), buf.getInt(p + BATCH_LENGTH_OFFSET), limit, source, position);
    }
    if (available >= MAGIC_OFFSET + MAGIC_LENGTH) {
      checkMagic(buf.get(p + MAGIC_OFFSET), source, position);
    }
    if (available < HEADER_BYTES) {
      return NEED_MORE_BYTES;
    }
    return parse(buf, limit, source, position).totalSize();
  }

  /**
   * Decodes and validates the header at {@code buf.position()} (absolute reads; the position does
   * not move). Returns null if fewer than {@link RecordBatch#HEADER_BYTES} bytes remain.
   */
  public static BatchHeader parse(ByteBuffer buf, BatchLimit limit, String source, long position) {
    if (buf.remaining() < HEADER_BYTES) {
      return null;
    }
    int p = buf.position();
    BatchHeader h =
        new BatchHeader(
            buf.getLong(p + BASE_OFFSET_OFFSET),
            buf.getInt(p + BATCH_LENGTH_OFFSET),
            buf.getInt(p + LEADER_EPOCH_OFFSET),
            buf.get(p + MAGIC_OFFSET),
            buf.getInt(p + CRC_OFFSET),
            buf.getShort(p + ATTRIBUTES_OFFSET),
            buf.getInt(p + LAST_OFFSET_DELTA_OFFSET),
            buf.getLong(p + FIRST_TIMESTAMP_OFFSET),
            buf.getLong(p + MAX_TIMESTAMP_OFFSET),
            buf.getInt(p + RECORD_COUNT_OFFSET));
    h.validate(limit, source, position);
    return h;
  }

  /** Throws {@link CorruptRecordException} if any field is impossible. */
  public void validate(BatchLimit limit, String source, long position) {
    checkLength(baseOffset, batchLength, limit, source, position);
    checkMagic(magic, source, position);
    if (recordCount < 1) {
      throw CorruptRecordException.at(
          source, position, "record count " + recordCount + " is below the minimum 1");
    }
    if (lastOffsetDelta != recordCount - 1) {
      throw CorruptRecordException.at(
          source,
          position,
          "last offset delta " + lastOffsetDelta + " does not match record count " + recordCount);
    }
    long minRecords = (long) recordCount * RECORD_OVERHEAD;
    if (totalSize() - HEADER_BYTES < minRecords) {
      throw CorruptRecordException.at(
          source,
          position,
          "batch length " + batchLength + " is too small for " + recordCount + " records");
    }
  }

  private static void checkLength(
      long baseOffset, int batchLength, BatchLimit limit, String source, long position) {
    if (baseOffset < 0) {
      throw CorruptRecordException.at(source, position, "negative base offset " + baseOffset);
    }
    if (batchLength < HEADER_BYTES - LOG_OVERHEAD) {
      throw CorruptRecordException.at(
          source,
          position,
          "batch length "
              + batchLength
              + " is below the minimum "
              + (HEADER_BYTES - LOG_OVERHEAD)
              + " (header without records)");
    }
    long total = LOG_OVERHEAD + (long) batchLength;
    if (total > limit.bytes()) {
      throw CorruptRecordException.at(
          source,
          position,
          "batch length "
              + batchLength
              + " (batch size "
              + total
              + ") exceeds "
              + limit.name()
              + " "
              + limit.bytes());
    }
  }

  private static void checkMagic(byte magic, String source, long position) {
    if (magic != MAGIC) {
      throw CorruptRecordException.at(
          source, position, "magic " + magic + " is not the supported magic " + MAGIC);
    }
  }
}
