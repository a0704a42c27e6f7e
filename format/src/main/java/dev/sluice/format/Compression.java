package dev.sluice.format;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import org.xerial.snappy.SnappyOutputStream;

/**
 * The codec of a batch's records, attribute bits 0-2. With a codec other than {@link #NONE}, every
 * byte after {@code recordsCount} is one compressed stream of the records; the header stays plain
 * and the CRC covers the compressed bytes.
 *
 * <p>The stream formats are the ones Kafka's client reads and writes, on the same libraries: gzip
 * (JDK), snappy in xerial's {@code SnappyOutputStream} framing, lz4 in the LZ4 frame format with
 * independent 64 KiB blocks and no content checksum (what Kafka's {@code Lz4BlockOutputStream}
 * writes), and standard zstd frames. Stateless and thread-safe; the streams it returns are not, and
 * must be closed (zstd holds native memory until then).
 */
public enum Compression {
  NONE(0, "none"),
  GZIP(1, "gzip"),
  SNAPPY(2, "snappy"),
  LZ4(3, "lz4"),
  ZSTD(4, "zstd");

  private static final int BUFFER_BYTES = 16 * 1024;
  private static final int GZIP_BUFFER_BYTES = 8 * 1024;

  private final int id;
  private final String wireName;

  Compression(int id, String wireName) {
    this.id = id;
    this.wireName = wireName;
  }

  /** The value of attribute bits 0-2. */
  public int id() {
    return id;
  }

  /** The name Kafka uses ({@code compression.type}). */
  public String wireName() {
    return wireName;
  }

  /** The codec with this id; {@link IllegalArgumentException} for 5-7 (or anything else). */
  public static Compression fromId(int id) {
    for (Compression c : values()) {
      if (c.id == id) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "compression codec " + id + " is not one of 0-4 (none, gzip, snappy, lz4, zstd)");
  }

  /**
   * Wraps {@code out} so that what is written to the result reaches {@code out} compressed. Closing
   * the result finishes the stream and closes {@code out}.
   */
  public OutputStream compress(OutputStream out) throws IOException {
    return switch (this) {
      case NONE -> out;
      case GZIP ->
          new BufferedOutputStream(new GZIPOutputStream(out, GZIP_BUFFER_BYTES), BUFFER_BYTES);
      case SNAPPY -> new SnappyOutputStream(out);
      case LZ4 ->
          new LZ4FrameOutputStream(
              out,
              LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB,
              LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE);
      case ZSTD -> new BufferedOutputStream(new ZstdOutputStreamNoFinalizer(out), BUFFER_BYTES);
    };
  }

  /**
   * Wraps {@code in}, a compressed stream of records, in a stream of the plain records, buffered so
   * that byte-at-a-time varint reads stay cheap. Closing the result closes {@code in}. For records
   * already checked ({@link BatchValidator}); a stream from outside is opened with {@link
   * #decompress(InputStream, long)}.
   */
  public InputStream decompress(InputStream in) throws IOException {
    return decompress(in, Integer.MAX_VALUE);
  }

  /**
   * {@link #decompress(InputStream)} with a limit on what a codec may allocate for one block the
   * stream announces: snappy's blocks are at most {@code maxBlockBytes} decompressed (the others
   * keep their own bounded windows: gzip 32 KiB, lz4 at most 4 MiB, zstd as its frame's window
   * within zstd-jni's default maximum).
   */
  public InputStream decompress(InputStream in, long maxBlockBytes) throws IOException {
    return switch (this) {
      case NONE -> in;
      case GZIP ->
          new BufferedInputStream(new GZIPInputStream(in, GZIP_BUFFER_BYTES), BUFFER_BYTES);
      case SNAPPY -> new XerialSnappyInputStream(in, maxBlockBytes);
      case LZ4 -> new BufferedInputStream(new LZ4FrameInputStream(in), BUFFER_BYTES);
      case ZSTD -> new BufferedInputStream(new ZstdInputStreamNoFinalizer(in), BUFFER_BYTES);
    };
  }
}
