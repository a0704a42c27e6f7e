package dev.sluice.format;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The byte layout of a record batch, Kafka's RecordBatch v2 (magic 2). All header integers are
 * big-endian; offsets are from the start of the batch:
 *
 * <pre>
 * offset size field
 *  0     8    baseOffset            offset of the first record, stamped by the leader
 *  8     4    batchLength           bytes after this field (total size = 12 + batchLength)
 *  12    4    partitionLeaderEpoch  epoch of the leader that appended it (producers send -1)
 *  16    1    magic                 2
 *  17    4    crc                   CRC-32C of bytes [21, end)
 *  21    2    attributes            see {@link Attributes}
 *  23    4    lastOffsetDelta       recordsCount - 1 for a batch as produced
 *  27    8    baseTimestamp         timestamp of the first record
 *  35    8    maxTimestamp          largest record timestamp
 *  43    8    producerId            -1 when the producer is not idempotent
 *  51    2    producerEpoch         -1 without a producer id
 *  53    4    baseSequence          -1 without a producer id
 *  57    4    recordsCount          number of records
 *  61    ...  records               uncompressed, or one compressed stream of them
 * </pre>
 *
 * <p>The CRC covers the attributes and everything after them, but not the base offset, the length,
 * the leader epoch or the magic: that is what lets a leader stamp the base offset and its epoch
 * into a producer's batch without recomputing the producer's checksum, so the checksum is verified
 * end to end.
 *
 * <p>Each record ({@link Record} for the fields) is encoded with zig-zag varints ({@link Varints}):
 *
 * <pre>
 * length varint (bytes after it) | attributes int8 (0) | timestampDelta varlong | offsetDelta varint
 * | keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value
 * | headersCount varint | headers: keyLength varint (&gt;= 0), key UTF-8, valueLength varint, value
 * </pre>
 *
 * Headers come after the value. Constants only; stateless and thread-safe.
 */
public final class BatchLayout {
  public static final int BASE_OFFSET_OFFSET = 0;
  public static final int BASE_OFFSET_LENGTH = 8;
  public static final int BATCH_LENGTH_OFFSET = BASE_OFFSET_OFFSET + BASE_OFFSET_LENGTH;
  public static final int BATCH_LENGTH_LENGTH = 4;
  public static final int PARTITION_LEADER_EPOCH_OFFSET = BATCH_LENGTH_OFFSET + BATCH_LENGTH_LENGTH;
  public static final int PARTITION_LEADER_EPOCH_LENGTH = 4;
  public static final int MAGIC_OFFSET =
      PARTITION_LEADER_EPOCH_OFFSET + PARTITION_LEADER_EPOCH_LENGTH;
  public static final int MAGIC_LENGTH = 1;
  public static final int CRC_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
  public static final int CRC_LENGTH = 4;
  public static final int ATTRIBUTES_OFFSET = CRC_OFFSET + CRC_LENGTH;
  public static final int ATTRIBUTES_LENGTH = 2;
  public static final int LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + ATTRIBUTES_LENGTH;
  public static final int LAST_OFFSET_DELTA_LENGTH = 4;
  public static final int BASE_TIMESTAMP_OFFSET =
      LAST_OFFSET_DELTA_OFFSET + LAST_OFFSET_DELTA_LENGTH;
  public static final int BASE_TIMESTAMP_LENGTH = 8;
  public static final int MAX_TIMESTAMP_OFFSET = BASE_TIMESTAMP_OFFSET + BASE_TIMESTAMP_LENGTH;
  public static final int MAX_TIMESTAMP_LENGTH = 8;
  public static final int PRODUCER_ID_OFFSET = MAX_TIMESTAMP_OFFSET + MAX_TIMESTAMP_LENGTH;
  public static final int PRODUCER_ID_LENGTH = 8;
  public static final int PRODUCER_EPOCH_OFFSET = PRODUCER_ID_OFFSET + PRODUCER_ID_LENGTH;
  public static final int PRODUCER_EPOCH_LENGTH = 2;
  public static final int BASE_SEQUENCE_OFFSET = PRODUCER_EPOCH_OFFSET + PRODUCER_EPOCH_LENGTH;
  public static final int BASE_SEQUENCE_LENGTH = 4;
  public static final int RECORDS_COUNT_OFFSET = BASE_SEQUENCE_OFFSET + BASE_SEQUENCE_LENGTH;
  public static final int RECORDS_COUNT_LENGTH = 4;
  public static final int RECORDS_OFFSET = RECORDS_COUNT_OFFSET + RECORDS_COUNT_LENGTH;

  /** The fixed header size: 61 bytes ({@code RECORD_BATCH_OVERHEAD} in Kafka). */
  public static final int HEADER_BYTES = RECORDS_OFFSET;

  /** Base offset and length, the part of the header outside {@code batchLength}. */
  public static final int LOG_OVERHEAD = BATCH_LENGTH_OFFSET + BATCH_LENGTH_LENGTH;

  /** The smallest legal {@code batchLength}: a header without records. */
  public static final int MIN_BATCH_LENGTH = HEADER_BYTES - LOG_OVERHEAD;

  public static final byte MAGIC = 2;

  /** The first byte the CRC covers. */
  public static final int CRC_COVERAGE_OFFSET = ATTRIBUTES_OFFSET;

  public static final long NO_PRODUCER_ID = -1;
  public static final short NO_PRODUCER_EPOCH = -1;
  public static final int NO_SEQUENCE = -1;
  public static final long NO_TIMESTAMP = -1;
  public static final int NO_PARTITION_LEADER_EPOCH = -1;

  /**
   * The smallest record: a one-byte length and six one-byte fields (attributes, timestamp delta,
   * offset delta, key length, value length, header count).
   */
  public static final int MIN_RECORD_BYTES = 7;

  /** The smallest body after the record's length varint. */
  public static final int MIN_RECORD_BODY_BYTES = MIN_RECORD_BYTES - 1;

  /** The smallest batch a producer may send: a header and one record. */
  public static final int MIN_BATCH_BYTES = HEADER_BYTES + MIN_RECORD_BYTES;

  private BatchLayout() {}

  /**
   * The CRC-32C of a whole batch's covered bytes {@code [21, end)}, for the batch between {@code
   * batch.position()} and {@code batch.limit()}. Absolute reads; the buffer is not moved.
   */
  public static int crc(ByteBuffer batch) {
    CRC32C crc = new CRC32C();
    ByteBuffer covered = batch.duplicate();
    covered.position(batch.position() + CRC_COVERAGE_OFFSET);
    crc.update(covered);
    return (int) crc.getValue();
  }
}
