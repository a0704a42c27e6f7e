package dev.sluice.format;

import static dev.sluice.format.BatchLayout.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Builds a whole batch in memory from records, as a producer does: base offset 0 (the leader stamps
 * the real one), partition leader epoch -1, CreateTime, {@code baseTimestamp} the first record's
 * timestamp, {@code maxTimestamp} the largest, offset deltas 0..n-1, and the CRC-32C computed last.
 * For a batch whose records are already in memory (the client's accumulator, NDJSON produce); a
 * single large value is streamed through {@code SingleRecordLayout}'s arithmetic instead.
 *
 * <p>An empty record list builds a 61-byte header-only batch (timestamps -1, last offset delta -1):
 * legal in a log after compaction, refused on produce. Stateless and thread-safe.
 */
public final class MemoryBatchBuilder {

  private MemoryBatchBuilder() {}

  /** A batch without a producer id, for a producer that is not idempotent. */
  public static ByteBuffer build(List<Record> records, Compression compression) {
    return build(records, compression, NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_SEQUENCE);
  }

  /**
   * Builds one batch; the buffer's position is 0 and its limit the batch size. Throws {@link
   * IllegalArgumentException} when the producer fields are inconsistent or the batch would exceed
   * {@link Integer#MAX_VALUE} bytes.
   */
  public static ByteBuffer build(
      List<Record> records,
      Compression compression,
      long producerId,
      short producerEpoch,
      int baseSequence) {
    return build(
        records, compression, producerId, producerEpoch, baseSequence, ByteBuffer::allocate);
  }

  /**
   * Builds one batch as {@link #build(List, Compression, long, short, int)} does, an uncompressed
   * one into the buffer {@code buffers} gives for its exact size: a heap buffer of at least that
   * capacity, written from position 0, its limit set to the batch's size (a producer's pool of
   * batch buffers). A compressed batch is built in a buffer of its own.
   */
  public static ByteBuffer build(
      List<Record> records,
      Compression compression,
      long producerId,
      short producerEpoch,
      int baseSequence,
      IntFunction<ByteBuffer> buffers) {
    if (producerId != NO_PRODUCER_ID && (producerId < 0 || producerEpoch < 0 || baseSequence < 0)) {
      throw new IllegalArgumentException(
          "producer id "
              + producerId
              + " needs a non-negative epoch and base sequence, got epoch "
              + producerEpoch
              + " and sequence "
              + baseSequence);
    }
    long baseTimestamp = records.isEmpty() ? NO_TIMESTAMP : records.get(0).timestamp();
    long maxTimestamp = NO_TIMESTAMP;
    for (Record r : records) {
      maxTimestamp = Math.max(maxTimestamp, r.timestamp());
    }
    ByteBuffer batch;
    if (compression == Compression.NONE) {
      long size = sizeOf(records);
      if (size > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "a batch of "
                + records.size()
                + " records would take "
                + size
                + " bytes, above the maximum "
                + Integer.MAX_VALUE);
      }
      batch = buffers.apply((int) size);
      if (batch.capacity() < size) {
        throw new IllegalStateException(
            "a buffer of " + batch.capacity() + " bytes for a batch of " + size + " bytes");
      }
      batch.clear().limit((int) size);
      batch.position(HEADER_BYTES);
      for (int i = 0; i < records.size(); i++) {
        writeRecord(records.get(i), baseTimestamp, i, batch);
      }
      batch.flip();
    } else {
      batch = compressed(records, compression, baseTimestamp);
    }
    writeHeader(
        batch,
        Attributes.of(compression),
        records.size(),
        baseTimestamp,
        maxTimestamp,
        producerId,
        producerEpoch,
        baseSequence);
    return batch;
  }

  /** The size of the uncompressed batch these records make: header plus every record. */
  public static long sizeOf(List<Record> records) {
    long size = HEADER_BYTES;
    long baseTimestamp = records.isEmpty() ? NO_TIMESTAMP : records.get(0).timestamp();
    for (int i = 0; i < records.size(); i++) {
      size += sizeOfRecord(records.get(i), baseTimestamp, i);
    }
    return size;
  }

  /** The encoded size of one record, its length varint included. */
  public static int sizeOfRecord(Record record, long baseTimestamp, int offsetDelta) {
    int body = sizeOfRecordBody(record, baseTimestamp, offsetDelta);
    return Varints.sizeOfVarint(body) + body;
  }

  /** The bytes of one record after its length varint. */
  public static int sizeOfRecordBody(Record record, long baseTimestamp, int offsetDelta) {
    long size = 1; // attributes
    size += Varints.sizeOfVarlong(record.timestamp() - baseTimestamp);
    size += Varints.sizeOfVarint(offsetDelta);
    size += sizeOfBytes(record.key());
    size += sizeOfBytes(record.value());
    size += Varints.sizeOfVarint(record.headers().size());
    for (Header h : record.headers()) {
      int keyBytes = h.keyBytes().length;
      size += Varints.sizeOfVarint(keyBytes) + keyBytes;
      size += sizeOfBytes(h.value());
    }
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "record " + offsetDelta + " would take " + size + " bytes, above " + Integer.MAX_VALUE);
    }
    return (int) size;
  }

  private static int sizeOfBytes(byte[] bytes) {
    return bytes == null ? 1 : Varints.sizeOfVarint(bytes.length) + bytes.length;
  }

  /** Writes one record (length varint first) at the buffer's position. */
  public static void writeRecord(
      Record record, long baseTimestamp, int offsetDelta, ByteBuffer out) {
    Varints.writeVarint(sizeOfRecordBody(record, baseTimestamp, offsetDelta), out);
    out.put((byte) 0);
    Varints.writeVarlong(record.timestamp() - baseTimestamp, out);
    Varints.writeVarint(offsetDelta, out);
    writeBytes(record.key(), out);
    writeBytes(record.value(), out);
    Varints.writeVarint(record.headers().size(), out);
    for (Header h : record.headers()) {
      byte[] key = h.keyBytes();
      Varints.writeVarint(key.length, out);
      out.put(key);
      writeBytes(h.value(), out);
    }
  }

  private static void writeBytes(byte[] bytes, ByteBuffer out) {
    if (bytes == null) {
      Varints.writeVarint(-1, out);
    } else {
      Varints.writeVarint(bytes.length, out);
      out.put(bytes);
    }
  }

  private static ByteBuffer compressed(
      List<Record> records, Compression compression, long baseTimestamp) {
    ExposedBytes bytes = new ExposedBytes((int) Math.min(sizeOf(records), 1 << 20));
    bytes.write(new byte[HEADER_BYTES], 0, HEADER_BYTES);
    try (OutputStream out = compression.compress(bytes)) {
      for (int i = 0; i < records.size(); i++) {
        Record r = records.get(i);
        ByteBuffer encoded = ByteBuffer.allocate(sizeOfRecord(r, baseTimestamp, i));
        writeRecord(r, baseTimestamp, i, encoded);
        out.write(encoded.array(), 0, encoded.position());
      }
    } catch (IOException e) {
      // Only the codec can fail here: the sink is memory.
      throw new UncheckedIOException("compressing a batch with " + compression.wireName(), e);
    }
    return bytes.asBuffer();
  }

  /**
   * Fills the header of a batch whose records are in place and computes the CRC. The buffer's
   * position must be the batch start; it is not moved.
   */
  static void writeHeader(
      ByteBuffer batch,
      short attributes,
      int recordsCount,
      long baseTimestamp,
      long maxTimestamp,
      long producerId,
      short producerEpoch,
      int baseSequence) {
    int p = batch.position();
    int size = batch.remaining();
    batch.putLong(p + BASE_OFFSET_OFFSET, 0L);
    batch.putInt(p + BATCH_LENGTH_OFFSET, size - LOG_OVERHEAD);
    batch.putInt(p + PARTITION_LEADER_EPOCH_OFFSET, NO_PARTITION_LEADER_EPOCH);
    batch.put(p + MAGIC_OFFSET, MAGIC);
    batch.putShort(p + ATTRIBUTES_OFFSET, attributes);
    batch.putInt(p + LAST_OFFSET_DELTA_OFFSET, recordsCount - 1);
    batch.putLong(p + BASE_TIMESTAMP_OFFSET, baseTimestamp);
    batch.putLong(p + MAX_TIMESTAMP_OFFSET, maxTimestamp);
    batch.putLong(p + PRODUCER_ID_OFFSET, producerId);
    batch.putShort(p + PRODUCER_EPOCH_OFFSET, producerEpoch);
    batch.putInt(p + BASE_SEQUENCE_OFFSET, baseSequence);
    batch.putInt(p + RECORDS_COUNT_OFFSET, recordsCount);
    batch.putInt(p + CRC_OFFSET, BatchLayout.crc(batch));
  }

  /** A byte sink whose array is wrapped, not copied, when done. */
  private static final class ExposedBytes extends ByteArrayOutputStream {
    ExposedBytes(int initial) {
      super(initial);
    }

    ByteBuffer asBuffer() {
      return ByteBuffer.wrap(buf, 0, count).slice();
    }
  }
}
