package dev.sluice.log.record;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.CorruptRecordException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Batches (Kafka's RecordBatch v2, layout in {@link BatchLayout}) held in files: the CRC of a
 * stored batch computed in bounded memory, the CRC check with the house message, and the streaming
 * of a byte range in fixed-size pieces. A segment file, a replication frame payload and a staged
 * oversized batch all hold identical batch bytes, so these helpers serve all three.
 *
 * <p>Stateless helpers; thread-safe (reads are positional, so a shared channel is safe).
 */
public final class BatchFiles {
  /** Bytes of the copy buffer used wherever a batch is streamed (CRC, staging, copying). */
  public static final int STREAM_BUFFER_BYTES = 64 * 1024;

  private BatchFiles() {}

  /**
   * Streams the CRC-32C of the batch stored at {@code batchPosition} (bytes {@code [21, end)}),
   * reading {@link #STREAM_BUFFER_BYTES} at a time so that a batch of any size is checked in
   * bounded memory.
   */
  public static int computeCrc(FileChannel channel, long batchPosition, long totalSize)
      throws IOException {
    CRC32C crc = new CRC32C();
    stream(
        channel,
        batchPosition + BatchLayout.CRC_COVERAGE_OFFSET,
        batchPosition + totalSize,
        ByteBuffer.allocate((int) Math.min(STREAM_BUFFER_BYTES, totalSize)),
        "batch at " + batchPosition,
        (piece, at) -> crc.update(piece));
    return (int) crc.getValue();
  }

  /** Takes one piece of a streamed range. */
  @FunctionalInterface
  public interface PieceSink {
    /**
     * @param piece the bytes read, from its position to its limit; consumed or not, the next piece
     *     overwrites them
     * @param at where the piece starts in the file
     */
    void accept(ByteBuffer piece, long at) throws IOException;
  }

  /**
   * Streams bytes {@code [from, end)} of {@code channel} to {@code sink}, one {@code buffer}-full
   * at a time, so that a batch of any size passes in the memory of that buffer. Reads are
   * positional: the channel's own position is neither used nor moved.
   *
   * @throws EOFException naming {@code source} and the position, if the file ends before {@code
   *     end}
   */
  public static void stream(
      FileChannel channel, long from, long end, ByteBuffer buffer, String source, PieceSink sink)
      throws IOException {
    long pos = from;
    while (pos < end) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), end - pos));
      int n = channel.read(buffer, pos);
      if (n < 0) {
        throw new EOFException(source + ": file ends at position " + pos + ", before " + end);
      }
      sink.accept(buffer.flip(), pos);
      pos += n;
    }
  }

  /** Throws if the CRC stored in {@code header} differs from {@code computed}. */
  public static void checkCrc(BatchHeader header, int computed, String source, long position) {
    if (header.crc() != computed) {
      throw CorruptRecordException.at(
          source,
          position,
          String.format(
              "crc mismatch for batch at offset %d: stored 0x%08x, computed 0x%08x",
              header.baseOffset(), header.crc(), computed));
    }
  }

  /**
   * Writes the leader's stamp into a batch's header: the base offset (bytes 0-7) and the partition
   * leader epoch (bytes 12-15). Both lie before the CRC's coverage, so the producer's CRC still
   * holds. Absolute writes relative to {@code batch.position()}; the buffer is not moved.
   */
  public static void stamp(ByteBuffer batch, long baseOffset, int leaderEpoch) {
    int p = batch.position();
    batch.putLong(p + BatchLayout.BASE_OFFSET_OFFSET, baseOffset);
    batch.putInt(p + BatchLayout.PARTITION_LEADER_EPOCH_OFFSET, leaderEpoch);
  }

  /** {@code header} with the leader's stamp ({@link #stamp}) applied. */
  public static BatchHeader stamped(BatchHeader h, long baseOffset, int leaderEpoch) {
    return new BatchHeader(
        baseOffset,
        h.batchLength(),
        leaderEpoch,
        h.magic(),
        h.crc(),
        h.attributes(),
        h.lastOffsetDelta(),
        h.baseTimestamp(),
        h.maxTimestamp(),
        h.producerId(),
        h.producerEpoch(),
        h.baseSequence(),
        h.recordsCount());
  }

  static void writeFully(FileChannel dest, ByteBuffer src, long position) throws IOException {
    long p = position;
    while (src.hasRemaining()) {
      p += dest.write(src, p);
    }
  }
}
