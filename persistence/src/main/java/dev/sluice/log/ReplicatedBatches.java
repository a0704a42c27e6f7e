package dev.sluice.log;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.log.record.BatchFiles;
import dev.sluice.log.record.ByteBufferBatches;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Batches in their on-disk form from a leader (the follower path), checked before the log writes
 * any of them: magic, length against {@code segment-bytes} (the leader already applied {@code
 * max-batch-bytes}) and CRC of every batch, that the bytes hold whole batches only, and (under the
 * log's write lock, {@link Checked#checkContinues}) that they continue the log. Stateless.
 */
final class ReplicatedBatches {
  private ReplicatedBatches() {}

  /** Whole, checked batches and their headers, in order, with their total size. */
  record Checked(List<ByteBuffer> batches, List<BatchHeader> headers, long bytes) {
    /**
     * @throws OffsetMismatchException if the batches do not start at {@code logEndOffset} of the
     *     log in {@code dir}, or leave a gap between them
     */
    void checkContinues(long logEndOffset, String dir) {
      long expected = logEndOffset;
      for (BatchHeader h : headers) {
        if (h.baseOffset() != expected) {
          throw new OffsetMismatchException(dir, expected, h.baseOffset());
        }
        expected = h.nextOffset();
      }
    }
  }

  /**
   * Splits {@code wholeBatches} (position to limit, left unchanged) into checked batches.
   *
   * @throws CorruptRecordException if a batch is invalid or the buffer ends inside a batch
   * @throws IllegalArgumentException if the buffer holds no batch
   */
  static Checked inBuffer(ByteBuffer wholeBatches, BatchLimit limit, String source) {
    ByteBufferBatches reader = new ByteBufferBatches(wholeBatches.duplicate(), limit, source, 0);
    List<ByteBuffer> batches = new ArrayList<>();
    List<BatchHeader> headers = new ArrayList<>();
    long position = 0;
    for (ByteBuffer b = reader.nextBatch(); b != null; b = reader.nextBatch()) {
      batches.add(b);
      headers.add(BatchHeader.parse(b, limit, source, position));
      position += b.remaining();
    }
    if (reader.remaining() > 0) {
      throw CorruptRecordException.at(
          source, position, "incomplete batch: " + reader.remaining() + " trailing bytes");
    }
    if (batches.isEmpty()) {
      throw new IllegalArgumentException(source + ": no batches to append");
    }
    return new Checked(batches, headers, position);
  }

  /**
   * The header of the one batch that fills {@code file} exactly, after checking it, CRC included.
   *
   * @throws CorruptRecordException if the batch is invalid or the file is not exactly one batch
   */
  static BatchHeader inFile(FileChannel file, BatchLimit limit, String source) throws IOException {
    long fileSize = file.size();
    ByteBuffer head = ByteBuffer.allocate((int) Math.min(BatchLayout.HEADER_BYTES, fileSize));
    while (head.hasRemaining() && file.read(head, head.position()) >= 0) {}
    head.flip();
    BatchHeader.peekTotalSize(head, limit, source, 0);
    BatchHeader h = BatchHeader.parse(head, limit, source, 0);
    if (h == null) {
      throw CorruptRecordException.at(
          source, 0, "file of " + fileSize + " bytes is shorter than a batch header");
    }
    if (h.totalSize() != fileSize) {
      throw CorruptRecordException.at(
          source, 0, "file size " + fileSize + " does not match batch size " + h.totalSize());
    }
    BatchFiles.checkCrc(h, BatchFiles.computeCrc(file, 0, fileSize), source, 0);
    return h;
  }
}
