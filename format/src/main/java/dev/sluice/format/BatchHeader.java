package dev.sluice.format;

import static dev.sluice.format.BatchLayout.*;

import java.nio.ByteBuffer;

/**
 * The fixed 61-byte header of a record batch, decoded (layout in {@link BatchLayout}).
 *
 * <p>Parsing follows Kafka's {@code ByteBufferLogInputStream}: fewer bytes than needed is a normal
 * "need more bytes" answer ({@link #NEED_MORE_BYTES} or {@code null}), while an impossible value is
 * a {@link CorruptRecordException} naming the source, position, field, value and limit. Length and
 * magic are checked as soon as their bytes are present, so a receiver never waits for a batch that
 * cannot exist.
 *
 * <p>Two levels of checks: {@link #validateStored} is what any batch in a log must satisfy (it is
 * what {@link #parse} applies), {@link #validateProduced} adds the rules for a batch a producer
 * sends (Kafka's {@code LogValidator}, plus Sluice's refusal of transactions and LogAppendTime).
 * Immutable.
 */
public record BatchHeader(
    long baseOffset,
    int batchLength,
    int partitionLeaderEpoch,
    byte magic,
    int crc,
    short attributes,
    int lastOffsetDelta,
    long baseTimestamp,
    long maxTimestamp,
    long producerId,
    short producerEpoch,
    int baseSequence,
    int recordsCount) {

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

  public Compression compression() {
    return Attributes.compression(attributes);
  }

  public TimestampType timestampType() {
    return Attributes.timestampType(attributes);
  }

  public boolean isTransactional() {
    return Attributes.isTransactional(attributes);
  }

  public boolean isControl() {
    return Attributes.isControl(attributes);
  }

  public boolean hasProducerId() {
    return producerId != NO_PRODUCER_ID;
  }

  /**
   * The sequence of the last record, {@code baseSequence + lastOffsetDelta} wrapping from {@link
   * Integer#MAX_VALUE} to 0 as Kafka's sequences do; {@link BatchLayout#NO_SEQUENCE} without one.
   */
  public int lastSequence() {
    if (baseSequence == NO_SEQUENCE) {
      return NO_SEQUENCE;
    }
    return incrementSequence(baseSequence, lastOffsetDelta);
  }

  /** {@code sequence + increment}, wrapping past {@link Integer#MAX_VALUE} to 0. */
  public static int incrementSequence(int sequence, int increment) {
    if (sequence > Integer.MAX_VALUE - increment) {
      return increment - (Integer.MAX_VALUE - sequence) - 1;
    }
    return sequence + increment;
  }

  /**
   * The total size of the batch that starts at {@code buf.position()}, or {@link #NEED_MORE_BYTES}
   * while fewer than {@link BatchLayout#HEADER_BYTES} bytes are present. Throws {@link
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
   * Decodes the header at {@code buf.position()} and applies {@link #validateStored} (absolute
   * reads; the position does not move). Returns null if fewer than {@link BatchLayout#HEADER_BYTES}
   * bytes remain.
   */
  public static BatchHeader parse(ByteBuffer buf, BatchLimit limit, String source, long position) {
    BatchHeader h = decode(buf);
    if (h != null) {
      h.validateStored(limit, source, position);
    }
    return h;
  }

  /** Decodes without any check; null if fewer than 61 bytes remain. */
  public static BatchHeader decode(ByteBuffer buf) {
    if (buf.remaining() < HEADER_BYTES) {
      return null;
    }
    int p = buf.position();
    return new BatchHeader(
        buf.getLong(p + BASE_OFFSET_OFFSET),
        buf.getInt(p + BATCH_LENGTH_OFFSET),
        buf.getInt(p + PARTITION_LEADER_EPOCH_OFFSET),
        buf.get(p + MAGIC_OFFSET),
        buf.getInt(p + CRC_OFFSET),
        buf.getShort(p + ATTRIBUTES_OFFSET),
        buf.getInt(p + LAST_OFFSET_DELTA_OFFSET),
        buf.getLong(p + BASE_TIMESTAMP_OFFSET),
        buf.getLong(p + MAX_TIMESTAMP_OFFSET),
        buf.getLong(p + PRODUCER_ID_OFFSET),
        buf.getShort(p + PRODUCER_EPOCH_OFFSET),
        buf.getInt(p + BASE_SEQUENCE_OFFSET),
        buf.getInt(p + RECORDS_COUNT_OFFSET));
  }

  /**
   * The checks every batch in a log passes: length within the limit, magic 2, a known codec, a
   * record count that is not negative and fits the last offset delta (compaction may leave fewer
   * records than the delta spans), and, uncompressed, room for that many records.
   */
  public void validateStored(BatchLimit limit, String source, long position) {
    checkLength(baseOffset, batchLength, limit, source, position);
    checkMagic(magic, source, position);
    int codec = Attributes.compressionId(attributes);
    if (codec > Compression.ZSTD.id()) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "attributes",
          ATTRIBUTES_OFFSET,
          "compression codec " + codec + " is not one of 0-4 (none, gzip, snappy, lz4, zstd)");
    }
    if (recordsCount < 0) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "recordsCount",
          RECORDS_COUNT_OFFSET,
          "records count " + recordsCount + " is negative");
    }
    if ((long) lastOffsetDelta < (long) recordsCount - 1) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "lastOffsetDelta",
          LAST_OFFSET_DELTA_OFFSET,
          "last offset delta "
              + lastOffsetDelta
              + " is below records count - 1 = "
              + (recordsCount - 1L));
    }
    long minRecordBytes = (long) recordsCount * MIN_RECORD_BYTES;
    if (codec == Compression.NONE.id() && totalSize() - HEADER_BYTES < minRecordBytes) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "recordsCount",
          RECORDS_COUNT_OFFSET,
          "batch length "
              + batchLength
              + " leaves "
              + (totalSize() - HEADER_BYTES)
              + " bytes for "
              + recordsCount
              + " uncompressed records, below the minimum "
              + minRecordBytes
              + " ("
              + MIN_RECORD_BYTES
              + " bytes each)");
    }
  }

  /**
   * The checks for a batch a producer sends, on top of {@link #validateStored}: at least one
   * record, {@code lastOffsetDelta + 1 == recordsCount}, CreateTime, no transaction, no control
   * batch, no delete horizon, unused attribute bits 0, and a producer id of -1 or one with a
   * non-negative epoch and sequence.
   */
  public void validateProduced(BatchLimit limit, String source, long position) {
    validateStored(limit, source, position);
    if (recordsCount < 1) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "recordsCount",
          RECORDS_COUNT_OFFSET,
          "records count " + recordsCount + " is below the minimum 1");
    }
    if (lastOffsetDelta + 1L != recordsCount) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "lastOffsetDelta",
          LAST_OFFSET_DELTA_OFFSET,
          "last offset delta "
              + lastOffsetDelta
              + " does not match records count "
              + recordsCount
              + " (expected "
              + (recordsCount - 1)
              + ")");
    }
    refuseFlag(isControl(), "a control batch cannot be produced", source, position);
    refuseFlag(
        isTransactional(),
        "transactions are not supported (transactional flag set)",
        source,
        position);
    refuseFlag(
        timestampType() == TimestampType.LOG_APPEND_TIME,
        "LogAppendTime cannot be set by a producer; only CreateTime is supported",
        source,
        position);
    refuseFlag(
        Attributes.hasDeleteHorizon(attributes),
        "the delete-horizon flag cannot be set by a producer",
        source,
        position);
    if (Attributes.unusedBits(attributes) != 0) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "attributes",
          ATTRIBUTES_OFFSET,
          "unused attribute bits 7-15 are 0x"
              + Integer.toHexString(Attributes.unusedBits(attributes))
              + ", must be 0");
    }
    if (producerId < NO_PRODUCER_ID) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "producerId",
          PRODUCER_ID_OFFSET,
          "producer id " + producerId + " is below -1 (no producer id)");
    }
    if (hasProducerId()) {
      if (producerEpoch < 0) {
        throw CorruptRecordException.inHeader(
            source,
            position,
            "producerEpoch",
            PRODUCER_EPOCH_OFFSET,
            "producer epoch " + producerEpoch + " is negative with producer id " + producerId);
      }
      if (baseSequence < 0) {
        throw CorruptRecordException.inHeader(
            source,
            position,
            "baseSequence",
            BASE_SEQUENCE_OFFSET,
            "base sequence " + baseSequence + " is negative with producer id " + producerId);
      }
    }
  }

  private static void refuseFlag(boolean set, String detail, String source, long position) {
    if (set) {
      throw CorruptRecordException.inHeader(
          source, position, "attributes", ATTRIBUTES_OFFSET, detail);
    }
  }

  private static void checkLength(
      long baseOffset, int batchLength, BatchLimit limit, String source, long position) {
    if (baseOffset < 0) {
      throw CorruptRecordException.inHeader(
          source, position, "baseOffset", BASE_OFFSET_OFFSET, "negative base offset " + baseOffset);
    }
    if (batchLength < MIN_BATCH_LENGTH) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "batchLength",
          BATCH_LENGTH_OFFSET,
          "batch length "
              + batchLength
              + " is below the minimum "
              + MIN_BATCH_LENGTH
              + " (header without records)");
    }
    long total = LOG_OVERHEAD + (long) batchLength;
    if (total > limit.bytes()) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "batchLength",
          BATCH_LENGTH_OFFSET,
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
      throw CorruptRecordException.inHeader(
          source,
          position,
          "magic",
          MAGIC_OFFSET,
          "magic " + magic + " is not the supported magic " + MAGIC);
    }
  }
}
