package dev.sluice.format;

import java.nio.ByteBuffer;

/**
 * A produced batch that passed every check of {@link BatchValidator} (header by the producer rules,
 * CRC, every record, decompressed when the batch is compressed), with its header. Only the
 * validator makes one, so a log that accepts it can append without checking the bytes again.
 *
 * <p>Ownership: the buffer is handed over with it. The log writes the base offset and partition
 * leader epoch into its first bytes (outside the CRC) before appending, so the maker must neither
 * read nor change the buffer afterwards; a caller that wants to keep its bytes validates a copy.
 *
 * <p>Thread-safety: immutable handle; the buffer is confined to whoever holds it.
 */
public final class ValidatedBatch {
  private final ByteBuffer batch;
  private final BatchHeader header;

  ValidatedBatch(ByteBuffer batch, BatchHeader header) {
    if (batch.remaining() != header.totalSize()) {
      throw new IllegalArgumentException(
          "a validated batch is exactly its "
              + header.totalSize()
              + " bytes, not "
              + batch.remaining());
    }
    this.batch = batch;
    this.header = header;
  }

  /** The checked header, as the producer sent it (base offset and epoch not yet stamped). */
  public BatchHeader header() {
    return header;
  }

  /** The batch's bytes, from position 0 of the batch; the log stamps and writes them. */
  public ByteBuffer buffer() {
    return batch.duplicate();
  }
}
