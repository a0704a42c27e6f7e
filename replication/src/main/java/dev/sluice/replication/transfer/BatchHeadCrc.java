package dev.sluice.replication.transfer;

import dev.sluice.format.BatchLayout;
import dev.sluice.log.FileRegion;
import dev.sluice.log.LogSlice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The CRC a {@link dev.sluice.replication.protocol.Frame.Chunk} announces for its oversized batch:
 * CRC32C of the batch's first {@value #BYTES} bytes (base offset, length, leader epoch, magic and
 * the batch's stored CRC). The stored CRC covers every byte after them, so the two CRCs together
 * cover the whole batch, and the leader computes this one from {@value #BYTES} bytes instead of a
 * read of the whole batch before its first chunk. It also names the staged file a restarted
 * transfer resumes: a batch rewritten at the same offset after a truncation (another epoch or
 * another stored CRC) has another head CRC, so stale staged bytes are never resumed.
 *
 * <p>Stateless; thread-safe.
 */
final class BatchHeadCrc {
  /** The batch bytes its own stored CRC does not cover. */
  static final int BYTES = BatchLayout.ATTRIBUTES_OFFSET;

  private BatchHeadCrc() {}

  /**
   * The head CRC of the batch starting at {@code batch}'s position, which must have at least
   * {@value #BYTES} bytes remaining; the buffer's position is not moved.
   */
  static int of(ByteBuffer batch) {
    if (batch.remaining() < BYTES) {
      throw new IllegalArgumentException(
          "a batch head is " + BYTES + " bytes, only " + batch.remaining() + " given");
    }
    CRC32C crc = new CRC32C();
    crc.update(batch.duplicate().limit(batch.position() + BYTES));
    return (int) crc.getValue();
  }

  /** The head CRC of {@code batch}, read from its segment file ({@value #BYTES} bytes). */
  static int read(LogSlice batch) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(BYTES);
    new FileRegion(batch.segmentFile(), batch.position(), BYTES).readInto(head);
    return of(head.flip());
  }
}
