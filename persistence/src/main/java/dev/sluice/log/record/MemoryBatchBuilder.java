package dev.sluice.log.record;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Builds a whole batch of small records in a heap buffer. The caller checks {@link #sizeOf} against
 * {@code max-batch-bytes} first; values that may be large go through {@link StreamingBatchWriter}
 * instead. Stateless; thread-safe.
 */
public final class MemoryBatchBuilder {
  private MemoryBatchBuilder() {}

  /** Total encoded size of a batch holding {@code records}. */
  public static long sizeOf(List<Record> records) {
    long size = RecordBatch.HEADER_BYTES;
    for (Record r : records) {
      size +=
          RecordBatch.recordSize(r.key(), r.headers(), r.value() == null ? -1 : r.value().length);
    }
    return size;
  }

  /**
   * Encodes {@code records} (at least one) as a batch with offsets from {@code baseOffset}. Returns
   * a buffer positioned at 0 with the CRC filled in.
   */
  public static ByteBuffer build(
      long baseOffset, int leaderEpoch, long timestamp, List<Record> records) {
    if (records.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one record");
    }
    long size = sizeOf(records);
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("batch of " + size + " bytes cannot be held in memory");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) size);
    RecordCodec.writeHeader(buf, baseOffset, (int) size, leaderEpoch, records.size(), timestamp);
    for (Record r : records) {
      RecordCodec.writePrefix(buf, r.key(), r.headers(), r.value() == null ? -1 : r.value().length);
      if (r.value() != null) {
        buf.put(r.value());
      }
    }
    buf.flip();
    buf.putInt(RecordBatch.CRC_OFFSET, RecordBatch.computeCrc(buf));
    return buf;
  }
}
