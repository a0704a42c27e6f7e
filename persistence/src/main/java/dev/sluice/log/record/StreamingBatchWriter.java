package dev.sluice.log.record;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.Header;
import dev.sluice.format.SingleRecordLayout;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Writes a v2 batch holding one record whose value streams through, never held, so a value of any
 * size (up to the int32 value length) costs O({@link BatchFiles#STREAM_BUFFER_BYTES}) of heap.
 *
 * <p>Everything before the value is fixed once the value's length is known ({@link
 * SingleRecordLayout}): the prefix (header and record fields up to the value length) and the suffix
 * (the headers, which v2 puts after the value). The CRC-32C starts with the prefix's covered bytes,
 * takes the value as it passes and then the suffix; only then is it known, and it is patched at
 * byte {@value BatchLayout#CRC_OFFSET}. The batch is written as a producer would send it: base
 * offset 0 and partition leader epoch -1, which the leader stamps when it appends (both lie outside
 * the CRC, so the CRC still holds).
 *
 * <p>Two ways to use it:
 *
 * <ul>
 *   <li>{@link #stage}: the value arrives in chunks (an HTTP body) and the batch is written to a
 *       staging file as it does, reading the value once; {@link Staging#finish} returns a {@link
 *       StagedBatch} the leader appends with a 16-byte stamp and a {@code transferTo}.
 *   <li>{@link #computeValueCrc} then {@link #writeFromFile}: the value is already in a file; it is
 *       read once for the CRC (outside the log's write lock) and copied with {@code transferTo}.
 * </ul>
 *
 * Not thread-safe; one instance per batch.
 */
public final class StreamingBatchWriter {
  private final SingleRecordLayout layout;
  private final long valueLength;
  private final ByteBuffer prefix;
  private final ByteBuffer suffix;
  private final CRC32C crc;
  private final long timestamp;
  private boolean crcDone;

  private StreamingBatchWriter(byte[] key, List<Header> headers, long valueLength, long timestamp) {
    this.layout = SingleRecordLayout.of(key, valueLength, headers, timestamp);
    this.valueLength = valueLength;
    this.timestamp = timestamp;
    this.prefix = layout.prefix();
    this.suffix = layout.suffix();
    this.crc = layout.crcAfterPrefix();
  }

  /**
   * A writer for a one-record batch with this key (null allowed), headers, value length and
   * CreateTime; nothing is read or written yet.
   *
   * @throws IllegalArgumentException if the value length is outside {@code [0, 2^31-1]} or the
   *     batch would exceed {@code 2^31-1} bytes
   */
  public static StreamingBatchWriter of(
      byte[] key, List<Header> headers, long valueLength, long timestamp) {
    return new StreamingBatchWriter(key, headers, valueLength, timestamp);
  }

  public long totalSize() {
    return layout.totalSize();
  }

  /**
   * The header of the batch with base offset 0 and epoch -1; its crc field is 0 until the value
   * passed ({@link #computeValueCrc}, or {@link Staging#finish}).
   */
  public BatchHeader header() {
    return new BatchHeader(
        0,
        (int) (layout.totalSize() - BatchLayout.LOG_OVERHEAD),
        BatchLayout.NO_PARTITION_LEADER_EPOCH,
        BatchLayout.MAGIC,
        crcDone ? (int) crc.getValue() : 0,
        (short) 0,
        0,
        timestamp,
        timestamp,
        BatchLayout.NO_PRODUCER_ID,
        BatchLayout.NO_PRODUCER_EPOCH,
        BatchLayout.NO_SEQUENCE,
        1);
  }

  /** Streams {@code value[0, valueLength)} once to complete the batch CRC. Idempotent. */
  public void computeValueCrc(FileChannel value) throws IOException {
    if (crcDone) {
      return;
    }
    if (value.size() < valueLength) {
      throw new EOFException("value file has " + value.size() + " bytes, expected " + valueLength);
    }
    BatchFiles.stream(
        value,
        0,
        valueLength,
        ByteBuffer.allocate(
            (int) Math.max(1, Math.min(BatchFiles.STREAM_BUFFER_BYTES, valueLength))),
        "value file",
        (piece, at) -> crc.update(piece));
    crc.update(suffix.duplicate());
    crcDone = true;
  }

  /**
   * Writes the whole batch at {@code position} of {@code dest}, stamped with {@code baseOffset} and
   * {@code leaderEpoch}, the value copied from {@code value[0, valueLength)} with {@code
   * transferTo}. Computes the CRC first unless {@link #computeValueCrc} already did.
   */
  public void writeFromFile(
      FileChannel value, FileChannel dest, long position, long baseOffset, int leaderEpoch)
      throws IOException {
    computeValueCrc(value);
    ByteBuffer head = prefix.duplicate();
    head.putInt(BatchLayout.CRC_OFFSET, (int) crc.getValue());
    BatchFiles.stamp(head, baseOffset, leaderEpoch);
    BatchFiles.writeFully(dest, head, position);
    long valueAt = position + prefix.limit();
    dest.position(valueAt);
    long copied = 0;
    while (copied < valueLength) {
      long n = value.transferTo(copied, valueLength - copied, dest);
      if (n <= 0) {
        throw new EOFException("value copy stalled at " + copied + " of " + valueLength);
      }
      copied += n;
    }
    BatchFiles.writeFully(dest, suffix.duplicate(), valueAt + valueLength);
  }

  /**
   * Starts writing the batch into {@code file} (created or replaced), prefix first; the value
   * follows through {@link Staging#write}, the CRC is fed as it does.
   */
  public Staging stage(Path file) throws IOException {
    FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    try {
      BatchFiles.writeFully(ch, prefix.duplicate(), 0);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return new Staging(file, ch);
  }

  /**
   * A batch being written to a staging file as its value arrives. The value must arrive exactly:
   * more bytes than announced are refused at once, fewer at {@link #finish}. Not thread-safe.
   */
  public final class Staging implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private long valueWritten;
    private boolean finished;

    private Staging(Path file, FileChannel channel) {
      this.file = file;
      this.channel = channel;
    }

    /** Value bytes written so far. */
    public long valueWritten() {
      return valueWritten;
    }

    /** Appends the chunk's remaining bytes to the value and feeds them to the CRC. */
    public void write(ByteBuffer chunk) throws IOException {
      int n = chunk.remaining();
      if (valueWritten + n > valueLength) {
        throw new IOException(
            file
                + ": value chunk of "
                + n
                + " bytes at value position "
                + valueWritten
                + " exceeds the announced value length "
                + valueLength);
      }
      crc.update(chunk.duplicate());
      BatchFiles.writeFully(channel, chunk, prefix.limit() + valueWritten);
      valueWritten += n;
    }

    /**
     * Writes the suffix, patches the CRC and closes the file: it now holds one complete batch.
     *
     * @throws EOFException if fewer value bytes arrived than announced
     */
    public StagedBatch finish() throws IOException {
      if (valueWritten != valueLength) {
        throw new EOFException(
            file
                + ": the value ended after "
                + valueWritten
                + " of its announced "
                + valueLength
                + " bytes");
      }
      ByteBuffer s = suffix.duplicate();
      crc.update(s.duplicate());
      BatchFiles.writeFully(channel, s, prefix.limit() + valueLength);
      crcDone = true;
      ByteBuffer crcBytes = ByteBuffer.allocate(BatchLayout.CRC_LENGTH);
      crcBytes.putInt(0, (int) crc.getValue());
      BatchFiles.writeFully(channel, crcBytes, BatchLayout.CRC_OFFSET);
      channel.close();
      finished = true;
      return new StagedBatch(file, header());
    }

    /** Closes the file; an unfinished batch is left for the caller to delete. */
    @Override
    public void close() throws IOException {
      if (!finished) {
        channel.close();
      }
    }
  }
}
