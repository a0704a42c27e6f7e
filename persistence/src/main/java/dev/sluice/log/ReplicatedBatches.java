package dev.sluice.log;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.log.record.BatchFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.zip.CRC32C;

/**
 * Batches in their on-disk form from a leader (the follower path), checked before the log writes
 * any of them: magic, length against {@code segment-bytes} (the leader already applied {@code
 * max-batch-bytes}) and CRC of every batch, that the bytes hold whole batches only, and (under the
 * log's write lock, {@link Checked#checkContinues}) that they continue the log. The bytes may come
 * as one buffer or scattered over several (the pieces a frame arrived in from the network): a batch
 * may start, and its header may be cut, anywhere in a piece. Batches are kept as slices of the
 * pieces, never copied, so the log writes the received bytes themselves; only a header cut between
 * two pieces is copied (its {@value BatchLayout#HEADER_BYTES} bytes) to be parsed. Stateless.
 */
final class ReplicatedBatches {
  private ReplicatedBatches() {}

  /**
   * Whole, checked batches and their headers, in order, with their total size. Each batch is the
   * slices of the received pieces that hold its bytes, in order.
   */
  record Checked(List<List<ByteBuffer>> batches, List<BatchHeader> headers, long bytes) {
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
    return inPieces(List.of(wholeBatches), limit, source);
  }

  /**
   * Splits the bytes of {@code pieces}, read in order (each from its position to its limit, left
   * unchanged), into checked batches.
   *
   * @throws CorruptRecordException if a batch is invalid or the bytes end inside a batch
   * @throws IllegalArgumentException if the pieces hold no batch
   */
  static Checked inPieces(List<ByteBuffer> pieces, BatchLimit limit, String source) {
    Pieces in = new Pieces(pieces);
    List<List<ByteBuffer>> batches = new ArrayList<>();
    List<BatchHeader> headers = new ArrayList<>();
    long position = 0;
    while (in.remaining() > 0) {
      ByteBuffer head = in.peek((int) Math.min(BatchLayout.HEADER_BYTES, in.remaining()));
      long size = BatchHeader.peekTotalSize(head, limit, source, position);
      if (size == BatchHeader.NEED_MORE_BYTES || size > in.remaining()) {
        break;
      }
      BatchHeader header = BatchHeader.parse(head, limit, source, position);
      List<ByteBuffer> batch = in.take(size);
      BatchFiles.checkCrc(header, coveredCrc(batch), source, position);
      batches.add(batch);
      headers.add(header);
      position += size;
    }
    if (in.remaining() > 0) {
      throw CorruptRecordException.at(
          source, position, "incomplete batch: " + in.remaining() + " trailing bytes");
    }
    if (batches.isEmpty()) {
      throw new IllegalArgumentException(source + ": no batches to append");
    }
    return new Checked(batches, headers, position);
  }

  /** CRC32C of the bytes a batch's stored CRC covers, over the batch's slices. */
  private static int coveredCrc(List<ByteBuffer> batch) {
    CRC32C crc = new CRC32C();
    long skip = BatchLayout.CRC_COVERAGE_OFFSET;
    for (ByteBuffer slice : batch) {
      ByteBuffer b = slice.duplicate();
      int s = (int) Math.min(skip, b.remaining());
      b.position(b.position() + s);
      skip -= s;
      crc.update(b);
    }
    return (int) crc.getValue();
  }

  /**
   * A read cursor over a sequence of buffers, as if they were one. Buffers passed in are never
   * moved: slices are taken of them. Not thread-safe.
   */
  private static final class Pieces {
    private final List<ByteBuffer> pieces;
    private int index;

    /** Position in {@code pieces.get(index)}, absolute. */
    private int at;

    private long remaining;

    Pieces(List<ByteBuffer> pieces) {
      this.pieces = pieces;
      for (ByteBuffer p : pieces) {
        remaining += p.remaining();
      }
      at = pieces.isEmpty() ? 0 : pieces.get(0).position();
      skipExhausted();
    }

    long remaining() {
      return remaining;
    }

    /**
     * The next {@code n} bytes without consuming them: a slice when they lie in one piece, else a
     * copy (used for batch headers only, so at most {@value BatchLayout#HEADER_BYTES} bytes).
     */
    ByteBuffer peek(int n) {
      ByteBuffer current = pieces.get(index);
      if (current.limit() - at >= n) {
        return current.slice(at, n);
      }
      ByteBuffer copy = ByteBuffer.allocate(n);
      int i = index;
      int p = at;
      while (copy.hasRemaining()) {
        ByteBuffer piece = pieces.get(i);
        int len = Math.min(copy.remaining(), piece.limit() - p);
        copy.put(piece.slice(p, len));
        i++;
        p = i < pieces.size() ? pieces.get(i).position() : 0;
      }
      return copy.flip();
    }

    /** Consumes the next {@code n} bytes ({@code n <= remaining()}) as slices of the pieces. */
    List<ByteBuffer> take(long n) {
      List<ByteBuffer> slices = new ArrayList<>(2);
      long left = n;
      while (left > 0) {
        ByteBuffer piece = pieces.get(index);
        int len = (int) Math.min(left, piece.limit() - at);
        slices.add(piece.slice(at, len));
        at += len;
        left -= len;
        remaining -= len;
        skipExhausted();
      }
      return slices;
    }

    private void skipExhausted() {
      while (index < pieces.size() && at >= pieces.get(index).limit()) {
        index++;
        if (index < pieces.size()) {
          at = pieces.get(index).position();
        }
      }
    }
  }

  /**
   * The header of the one batch that fills {@code file} exactly, after checking it, CRC included:
   * against {@code coveredCrc} when the caller already knows the CRC32C of the file's covered bytes
   * (they streamed through it as they were written), else computed from the file.
   *
   * @throws CorruptRecordException if the batch is invalid or the file is not exactly one batch
   */
  static BatchHeader inFile(
      FileChannel file, BatchLimit limit, String source, OptionalInt coveredCrc)
      throws IOException {
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
    int crc =
        coveredCrc.isPresent() ? coveredCrc.getAsInt() : BatchFiles.computeCrc(file, 0, fileSize);
    BatchFiles.checkCrc(h, crc, source, 0);
    return h;
  }
}
