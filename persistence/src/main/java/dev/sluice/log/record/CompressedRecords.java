package dev.sluice.log.record;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.Compression;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where the compressed stream of a stored batch's records lies: the codec, and the file position
 * and length of the bytes after the batch's 61-byte header. A record of such a batch has no value
 * at a file position; its value is at a position in the decompressed records, reached by
 * decompressing from the start of the stream ({@link #openValue}).
 *
 * <p>Immutable and thread-safe; every stream it opens is the caller's to close (zstd holds native
 * memory until then).
 */
public record CompressedRecords(Compression codec, long position, long length) {

  /** The records of the batch of {@code header} stored at {@code batchPosition}. */
  public static CompressedRecords of(BatchHeader header, long batchPosition) {
    return new CompressedRecords(
        header.compression(),
        batchPosition + BatchLayout.HEADER_BYTES,
        header.totalSize() - BatchLayout.HEADER_BYTES);
  }

  /** How errors name the decompressed stream: "the decompressed gzip records". */
  public String where() {
    return "the decompressed " + codec.wireName() + " records";
  }

  /**
   * The decompressed records, read from {@code channel} with positional reads (the channel may be
   * shared; it is not closed with the stream).
   */
  public InputStream decompress(FileChannel channel, Path file) throws IOException {
    return codec.decompress(new RegionInputStream(channel, file, position, length, false));
  }

  /**
   * Opens {@code file}, decompresses the records from their start, skips to {@code valuePosition}
   * (a position in the decompressed records) and returns a stream of the {@code valueLength} bytes
   * there. Memory is the codec's window, whatever the value's size. Closing the stream closes the
   * file.
   */
  public InputStream openValue(Path file, long valuePosition, long valueLength) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    InputStream decompressed;
    try {
      decompressed = codec.decompress(new RegionInputStream(channel, file, position, length, true));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    try {
      decompressed.skipNBytes(valuePosition);
    } catch (IOException | RuntimeException e) {
      decompressed.close();
      throw e;
    }
    return new ValueStream(
        decompressed,
        valueLength,
        left ->
            file
                + ": the decompressed records end inside the value of "
                + valueLength
                + " bytes at their byte "
                + valuePosition
                + ", "
                + left
                + " bytes short");
  }

  /** The region's bytes through positional reads; closes the channel only if it owns it. */
  private static final class RegionInputStream extends InputStream {
    private final FileChannel channel;
    private final Path file;
    private final long end;
    private final boolean ownsChannel;
    private long at;

    RegionInputStream(
        FileChannel channel, Path file, long position, long length, boolean ownsChannel) {
      this.channel = channel;
      this.file = file;
      this.at = position;
      this.end = position + length;
      this.ownsChannel = ownsChannel;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (at >= end) {
        return -1;
      }
      int want = (int) Math.min(len, end - at);
      int n = channel.read(ByteBuffer.wrap(b, off, want), at);
      if (n < 0) {
        throw new EOFException(
            file + " ends at position " + at + ", inside a compressed batch ending at " + end);
      }
      at += n;
      return n;
    }

    @Override
    public void close() throws IOException {
      if (ownsChannel) {
        channel.close();
      }
    }
  }
}
