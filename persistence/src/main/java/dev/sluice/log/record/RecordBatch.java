package dev.sluice.log.record;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk and on-wire record batch format (magic 1). The log is a sequence of these batches and
 * nothing else, so a segment file, a replication frame payload and a staged oversized batch all
 * hold identical bytes. All integers are big-endian.
 *
 * <pre>
 * BatchHeader (47 bytes):
 *   baseOffset      int64   offset of the first record
 *   batchLength     int32   bytes that follow this field (total size = 12 + batchLength)
 *   leaderEpoch     int32   epoch of the leader that appended the batch
 *   magic           int8    format version, always 1
 *   crc             uint32  CRC32C of every byte after this field to the end of the batch
 *   attributes      int16   reserved, 0
 *   lastOffsetDelta int32   recordCount - 1 (record i has offset baseOffset + i)
 *   firstTimestamp  int64   epoch millis of the append
 *   maxTimestamp    int64   newest timestamp in the batch
 *   recordCount     int32   at least 1
 * Records (recordCount times):
 *   keyLength       int32   -1 = null key
 *   key             bytes
 *   headerCount     int32
 *   headers         headerCount times: keyLength int16 | UTF-8 key | valueLength int32 (-1 = null) | value
 *   valueLength     int32   -1 = null value
 *   value           bytes
 * </pre>
 *
 * <p>The CRC covers the attributes onwards but not the base offset, the length, the epoch or the
 * magic, as in Kafka, so a receiver can check the length and magic before it has the whole batch.
 * Records carry no per-record timestamp or offset delta: offsets are dense, which lets a reader
 * find the value of record {@code i} by walking the record prefixes without reading values.
 *
 * <p>Stateless helpers; thread-safe.
 */
public final class RecordBatch {
  public static final int BASE_OFFSET_OFFSET = 0;
  public static final int BASE_OFFSET_LENGTH = 8;
  public static final int BATCH_LENGTH_OFFSET = BASE_OFFSET_OFFSET + BASE_OFFSET_LENGTH;
  public static final int BATCH_LENGTH_LENGTH = 4;

  /** Bytes before the part counted by {@code batchLength}. */
  public static final int LOG_OVERHEAD = BATCH_LENGTH_OFFSET + BATCH_LENGTH_LENGTH;

  public static final int LEADER_EPOCH_OFFSET = LOG_OVERHEAD;
  public static final int LEADER_EPOCH_LENGTH = 4;
  public static final int MAGIC_OFFSET = LEADER_EPOCH_OFFSET + LEADER_EPOCH_LENGTH;
  public static final int MAGIC_LENGTH = 1;
  public static final int CRC_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
  public static final int CRC_LENGTH = 4;
  public static final int ATTRIBUTES_OFFSET = CRC_OFFSET + CRC_LENGTH;
  public static final int ATTRIBUTES_LENGTH = 2;
  public static final int LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + ATTRIBUTES_LENGTH;
  public static final int LAST_OFFSET_DELTA_LENGTH = 4;
  public static final int FIRST_TIMESTAMP_OFFSET =
      LAST_OFFSET_DELTA_OFFSET + LAST_OFFSET_DELTA_LENGTH;
  public static final int FIRST_TIMESTAMP_LENGTH = 8;
  public static final int MAX_TIMESTAMP_OFFSET = FIRST_TIMESTAMP_OFFSET + FIRST_TIMESTAMP_LENGTH;
  public static final int MAX_TIMESTAMP_LENGTH = 8;
  public static final int RECORD_COUNT_OFFSET = MAX_TIMESTAMP_OFFSET + MAX_TIMESTAMP_LENGTH;
  public static final int RECORD_COUNT_LENGTH = 4;
  public static final int RECORDS_OFFSET = RECORD_COUNT_OFFSET + RECORD_COUNT_LENGTH;

  /** The fixed header size: 47 bytes. */
  public static final int HEADER_BYTES = RECORDS_OFFSET;

  public static final byte MAGIC = 1;

  /** Record prefix: keyLength + headerCount + valueLength. */
  public static final int RECORD_OVERHEAD = 4 + 4 + 4;

  /** Bytes of the copy buffer used wherever a batch is streamed (CRC, staging, copying). */
  public static final int STREAM_BUFFER_BYTES = 64 * 1024;

  private RecordBatch() {}

  /** Encoded size of one record whose value has {@code valueLength} bytes (-1 = null). */
  public static long recordSize(byte[] key, List<Header> headers, long valueLength) {
    long size = RECORD_OVERHEAD + (key == null ? 0 : key.length) + Math.max(0, valueLength);
    if (headers != null) {
      for (Header h : headers) {
        size += headerSize(h);
      }
    }
    return size;
  }

  static int headerSize(Header h) {
    return 2 + RecordCodec.utf8(h.key()).length + 4 + (h.value() == null ? 0 : h.value().length);
  }

  /** Total size of a batch holding one record with a value of {@code valueLength} bytes. */
  public static long singleRecordBatchSize(byte[] key, List<Header> headers, long valueLength) {
    return HEADER_BYTES + recordSize(key, headers, valueLength);
  }

  /** CRC32C over {@code batch[ATTRIBUTES_OFFSET, limit)}, the batch starting at its position. */
  public static int computeCrc(ByteBuffer batch) {
    CRC32C crc = new CRC32C();
    ByteBuffer covered = batch.duplicate();
    covered.position(batch.position() + ATTRIBUTES_OFFSET);
    crc.update(covered);
    return (int) crc.getValue();
  }

  /**
   * Streams the CRC of a batch stored in a file, reading {@code STREAM_BUFFER_BYTES} at a time so
   * that a batch of any size is checked in bounded memory.
   */
  public static int computeCrc(FileChannel channel, long batchPosition, long totalSize)
      throws IOException {
    CRC32C crc = new CRC32C();
    stream(
        channel,
        batchPosition + ATTRIBUTES_OFFSET,
        batchPosition + totalSize,
        ByteBuffer.allocate((int) Math.min(STREAM_BUFFER_BYTES, totalSize)),
        "batch at " + batchPosition,
        (piece, at) -> crc.update(piece));
    return (int) crc.getValue();
  }

  /** Takes one piece of a streamed range. */
  @FunctionalInterface
  public interface PieceSink {
    /**
     * @param piece the bytes read, from its position to its limit; consumed or not, the next piece
     *     overwrites them
     * @param at where the piece starts in the file
     */
    void accept(ByteBuffer piece, long at) throws IOException;
  }

  /**
   * Streams bytes {@code [from, end)} of {@code channel} to {@code sink}, one {@code buffer}-full
   * at a time, so that a batch of any size passes in the memory of that buffer. Reads are
   * positional: the channel's own position is neither used nor moved.
   *
   * @throws EOFException naming {@code source} and the position, if the file ends before {@code
   *     end}
   */
  public static void stream(
      FileChannel channel, long from, long end, ByteBuffer buffer, String source, PieceSink sink)
      throws IOException {
    long pos = from;
    while (pos < end) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), end - pos));
      int n = channel.read(buffer, pos);
      if (n < 0) {
        throw new EOFException(source + ": file ends at position " + pos + ", before " + end);
      }
      sink.accept(buffer.flip(), pos);
      pos += n;
    }
  }

  /** Throws if the CRC stored in {@code header} differs from {@code computed}. */
  public static void checkCrc(BatchHeader header, int computed, String source, long position) {
    if (header.crc() != computed) {
      throw CorruptRecordException.at(
          source,
          position,
          String.format(
              "crc mismatch for batch at offset %d: stored 0x%08x, computed 0x%08x",
              header.baseOffset(), header.crc(), computed));
    }
  }
}
