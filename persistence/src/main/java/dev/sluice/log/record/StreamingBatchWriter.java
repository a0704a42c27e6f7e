package dev.sluice.log.record;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Writes a one-record batch whose value is streamed from a file, so a value of any size (up to the
 * int32 value length) costs O({@link RecordBatch#STREAM_BUFFER_BYTES}) of heap.
 *
 * <p>The value is read twice: once to compute the CRC (which does not cover the base offset, so
 * this can happen before the log assigns the offset), then copied with {@code transferTo}
 * (zero-copy where the OS allows). Not thread-safe; one instance per append.
 */
public final class StreamingBatchWriter {
  private final ByteBuffer prefix;
  private final long valueLength;
  private final CRC32C crc = new CRC32C();
  private BatchHeader header;
  private boolean valueCrcDone;

  private StreamingBatchWriter(
      long baseOffset,
      int leaderEpoch,
      long timestamp,
      byte[] key,
      List<Header> headers,
      long len) {
    if (len < 0 || len > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("value length " + len + " is not in [0, 2^31-1]");
    }
    long total = RecordBatch.singleRecordBatchSize(key, headers, len);
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("batch size " + total + " exceeds 2^31-1");
    }
    this.valueLength = len;
    int prefixSize = (int) (total - len);
    prefix = ByteBuffer.allocate(prefixSize);
    RecordCodec.writeHeader(prefix, baseOffset, (int) total, leaderEpoch, 1, timestamp);
    RecordCodec.writePrefix(prefix, key, headers, (int) len);
    prefix.flip();
    ByteBuffer covered = prefix.duplicate().position(RecordBatch.ATTRIBUTES_OFFSET);
    crc.update(covered);
    header =
        new BatchHeader(
            baseOffset,
            (int) (total - RecordBatch.LOG_OVERHEAD),
            leaderEpoch,
            RecordBatch.MAGIC,
            0,
            (short) 0,
            0,
            timestamp,
            timestamp,
            1);
  }

  /** A writer for a one-record batch; nothing is read until {@link #writeFromFile} et al. */
  public static StreamingBatchWriter of(
      long baseOffset,
      int leaderEpoch,
      long timestamp,
      byte[] key,
      List<Header> headers,
      long valueLength) {
    return new StreamingBatchWriter(baseOffset, leaderEpoch, timestamp, key, headers, valueLength);
  }

  /**
   * Sets the base offset. The CRC does not cover it, so the value's CRC can be computed with {@link
   * #computeValueCrc} before the offset is known, outside the log's write lock.
   */
  public StreamingBatchWriter withBaseOffset(long baseOffset) {
    prefix.putLong(RecordBatch.BASE_OFFSET_OFFSET, baseOffset);
    BatchHeader h = header;
    header =
        new BatchHeader(
            baseOffset,
            h.batchLength(),
            h.leaderEpoch(),
            h.magic(),
            h.crc(),
            h.attributes(),
            h.lastOffsetDelta(),
            h.firstTimestamp(),
            h.maxTimestamp(),
            h.recordCount());
    return this;
  }

  /** The header fields (the crc field is 0 here; it is only known once the value was read). */
  public BatchHeader header() {
    return header;
  }

  public long totalSize() {
    return header.totalSize();
  }

  /** Streams {@code value[0, length)} once to compute the batch CRC. Idempotent. */
  public void computeValueCrc(FileChannel value) throws IOException {
    if (valueCrcDone) {
      return;
    }
    if (value.size() < valueLength) {
      throw new EOFException("value file has " + value.size() + " bytes, expected " + valueLength);
    }
    RecordBatch.stream(
        value,
        0,
        valueLength,
        ByteBuffer.allocate((int) Math.min(RecordBatch.STREAM_BUFFER_BYTES, valueLength)),
        "value file",
        (piece, at) -> crc.update(piece));
    valueCrcDone = true;
  }

  /**
   * Writes the batch at {@code position} of {@code dest}, value from {@code value[0, length)}:
   * streams the value for the CRC (unless {@link #computeValueCrc} already did), writes header and
   * record prefix, then copies the value with {@code transferTo}.
   */
  public void writeFromFile(FileChannel value, FileChannel dest, long position) throws IOException {
    computeValueCrc(value);
    writeFully(dest, prefixWithCrc(), position);
    long target = position + prefix.limit();
    dest.position(target);
    long copied = 0;
    while (copied < valueLength) {
      long n = value.transferTo(copied, valueLength - copied, dest);
      if (n <= 0) {
        throw new EOFException("value copy stalled at " + copied + " of " + valueLength);
      }
      copied += n;
    }
  }

  private ByteBuffer prefixWithCrc() {
    ByteBuffer b = prefix.duplicate();
    b.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
    return b;
  }

  static void writeFully(FileChannel dest, ByteBuffer src, long position) throws IOException {
    long p = position;
    while (src.hasRemaining()) {
      p += dest.write(src, p);
    }
  }
}
