package dev.sluice.log.record;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import java.nio.ByteBuffer;

/**
 * Walks the whole v2 batches in a buffer that may end with part of a batch (a frame payload, a read
 * buffer). {@link #nextBatch()} returns each complete batch after checking its header and CRC, and
 * returns null, not an error, when only part of the next batch is present: the caller waits for
 * more bytes. Not thread-safe.
 */
public final class ByteBufferBatches {
  private final ByteBuffer buf;
  private final BatchLimit limit;
  private final String source;
  private final long sourcePosition;
  private final int start;

  /**
   * @param buf the bytes, from its position to its limit; its position advances past each batch
   * @param sourcePosition the position of {@code buf.position()} in the source, for messages
   */
  public ByteBufferBatches(ByteBuffer buf, BatchLimit limit, String source, long sourcePosition) {
    this.buf = buf;
    this.limit = limit;
    this.source = source;
    this.sourcePosition = sourcePosition;
    this.start = buf.position();
  }

  /** The next complete, CRC-checked batch as a slice positioned at 0, or null if incomplete. */
  public ByteBuffer nextBatch() {
    long at = sourcePosition + (buf.position() - start);
    long size = BatchHeader.peekTotalSize(buf, limit, source, at);
    if (size == BatchHeader.NEED_MORE_BYTES || size > buf.remaining()) {
      return null;
    }
    ByteBuffer batch = buf.slice(buf.position(), (int) size);
    BatchHeader header = BatchHeader.parse(batch, limit, source, at);
    BatchFiles.checkCrc(header, BatchLayout.crc(batch), source, at);
    buf.position(buf.position() + (int) size);
    return batch;
  }

  /** Bytes left after the batches returned so far (a partial batch, or 0). */
  public int remaining() {
    return buf.remaining();
  }
}
