package dev.sluice.format;

import static dev.sluice.format.BatchLayout.*;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The layout of a batch holding one record whose value is streamed, never held: every byte before
 * the value is fixed once the value's length is known, so a writer can emit
 *
 * <pre>
 * prefix = header [0, 61) + varint(body) + attributes 0 + timestampDelta 0 + offsetDelta 0
 *          + varint(|key|) + key + varint(valueLength)
 * value  = the value's bytes, as they arrive
 * suffix = varint(header count) + headers
 * </pre>
 *
 * then patch the CRC-32C at byte {@value BatchLayout#CRC_OFFSET}, computed by feeding the value and
 * the suffix into {@link #crcAfterPrefix()}. The result is byte for byte what {@link
 * MemoryBatchBuilder} builds for the same record without a producer id. The same arithmetic lets a
 * server refuse an oversized value ({@link #totalSize()} against {@code max-batch-bytes}) before
 * reading a byte of it. Immutable; the buffers it returns are fresh.
 */
public final class SingleRecordLayout {
  private final byte[] key;
  private final long valueLength;
  private final List<Header> headers;
  private final long timestamp;
  private final int bodySize;
  private final long totalSize;

  private SingleRecordLayout(byte[] key, long valueLength, List<Header> headers, long timestamp) {
    this.key = key;
    this.valueLength = valueLength;
    this.headers = List.copyOf(headers);
    this.timestamp = timestamp;
    long body = 3; // attributes, timestampDelta 0, offsetDelta 0
    body += key == null ? 1 : Varints.sizeOfVarint(key.length) + key.length;
    body += Varints.sizeOfVarint((int) valueLength) + valueLength;
    body += suffixSize(this.headers);
    if (body > Integer.MAX_VALUE - HEADER_BYTES - Varints.MAX_VARINT_BYTES) {
      throw new IllegalArgumentException(
          "a record with a "
              + valueLength
              + "-byte value takes "
              + body
              + " bytes, above the largest batch of "
              + Integer.MAX_VALUE
              + " bytes");
    }
    this.bodySize = (int) body;
    this.totalSize = HEADER_BYTES + Varints.sizeOfVarint(bodySize) + (long) bodySize;
  }

  /**
   * The layout for a record with this key (null allowed), a value of {@code valueLength} bytes,
   * these headers and this CreateTime.
   */
  public static SingleRecordLayout of(
      byte[] key, long valueLength, List<Header> headers, long timestamp) {
    if (valueLength < 0 || valueLength > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "value length " + valueLength + " is outside [0, " + Integer.MAX_VALUE + "]");
    }
    return new SingleRecordLayout(
        key, valueLength, headers == null ? List.of() : headers, timestamp);
  }

  /** The whole batch's size: what to compare with {@code max-batch-bytes}. */
  public long totalSize() {
    return totalSize;
  }

  /** The offset of the first value byte from the start of the batch. */
  public long valueOffset() {
    return prefixSize();
  }

  private int prefixSize() {
    return HEADER_BYTES
        + Varints.sizeOfVarint(bodySize)
        + 3
        + (key == null ? 1 : Varints.sizeOfVarint(key.length) + key.length)
        + Varints.sizeOfVarint((int) valueLength);
  }

  /** The bytes before the value, with the CRC field 0 until patched. Position 0, limit its size. */
  public ByteBuffer prefix() {
    ByteBuffer b = ByteBuffer.allocate(prefixSize());
    b.putLong(BASE_OFFSET_OFFSET, 0L);
    b.putInt(BATCH_LENGTH_OFFSET, (int) (totalSize - LOG_OVERHEAD));
    b.putInt(PARTITION_LEADER_EPOCH_OFFSET, NO_PARTITION_LEADER_EPOCH);
    b.put(MAGIC_OFFSET, MAGIC);
    b.putInt(CRC_OFFSET, 0);
    b.putShort(ATTRIBUTES_OFFSET, Attributes.of(Compression.NONE));
    b.putInt(LAST_OFFSET_DELTA_OFFSET, 0);
    b.putLong(BASE_TIMESTAMP_OFFSET, timestamp);
    b.putLong(MAX_TIMESTAMP_OFFSET, timestamp);
    b.putLong(PRODUCER_ID_OFFSET, NO_PRODUCER_ID);
    b.putShort(PRODUCER_EPOCH_OFFSET, NO_PRODUCER_EPOCH);
    b.putInt(BASE_SEQUENCE_OFFSET, NO_SEQUENCE);
    b.putInt(RECORDS_COUNT_OFFSET, 1);
    b.position(HEADER_BYTES);
    Varints.writeVarint(bodySize, b);
    b.put((byte) 0); // attributes
    Varints.writeVarlong(0, b); // timestamp delta: the record's timestamp is the base
    Varints.writeVarint(0, b); // offset delta
    if (key == null) {
      Varints.writeVarint(-1, b);
    } else {
      Varints.writeVarint(key.length, b);
      b.put(key);
    }
    Varints.writeVarint((int) valueLength, b);
    return b.flip();
  }

  /** The bytes after the value: the header count and the headers. */
  public ByteBuffer suffix() {
    ByteBuffer b = ByteBuffer.allocate(suffixSize(headers));
    Varints.writeVarint(headers.size(), b);
    for (Header h : headers) {
      byte[] k = h.keyBytes();
      Varints.writeVarint(k.length, b);
      b.put(k);
      if (h.value() == null) {
        Varints.writeVarint(-1, b);
      } else {
        Varints.writeVarint(h.value().length, b);
        b.put(h.value());
      }
    }
    return b.flip();
  }

  /**
   * A CRC-32C already fed the prefix's covered bytes {@code [21, prefix end)}; feed it the value
   * and the suffix, then store {@code (int) getValue()} at byte {@value BatchLayout#CRC_OFFSET}.
   */
  public CRC32C crcAfterPrefix() {
    CRC32C crc = new CRC32C();
    ByteBuffer p = prefix();
    p.position(CRC_COVERAGE_OFFSET);
    crc.update(p);
    return crc;
  }

  private static int suffixSize(List<Header> headers) {
    long size = Varints.sizeOfVarint(headers.size());
    for (Header h : headers) {
      int k = h.keyBytes().length;
      size += Varints.sizeOfVarint(k) + k;
      size += h.value() == null ? 1 : Varints.sizeOfVarint(h.value().length) + h.value().length;
    }
    return (int) size;
  }
}
