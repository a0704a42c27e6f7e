package dev.sluice.format;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.xerial.snappy.Snappy;

/**
 * Reads snappy records the way Kafka's client does ({@code SnappyInputStream}), with the sizes a
 * stream announces checked before anything is allocated for them. Two forms are accepted:
 *
 * <ul>
 *   <li>xerial's framing, which Kafka's Java producer writes: a 16-byte header (magic {@code 0x82
 *       "SNAPPY" 0x00}, version, compatible version), then chunks, each a big-endian int32 length
 *       and that many bytes of one raw snappy block; a repeated header between chunks (concatenated
 *       streams) is skipped;
 *   <li>one raw snappy block without framing (what some non-Java producers write).
 * </ul>
 *
 * <p>Why not {@code SnappyInputStream} itself: it allocates a chunk's announced length, and an
 * unframed block's announced decompressed length, before reading them, so a batch of a few dozen
 * bytes can make it allocate hundreds of MiB. Here a block's compressed bytes are read as they
 * arrive (allocation follows the bytes present), and its decompressed length must be at most {@code
 * maxBlockBytes} and at most {@link #MAX_EXPANSION} times its compressed length (snappy cannot
 * expand more: its densest op copies 64 bytes for 3). Memory is one block, compressed and
 * decompressed: 32 KiB each as Kafka writes them. Decoding is snappy-java's, the library Kafka
 * uses. Not thread-safe.
 */
final class XerialSnappyInputStream extends InputStream {
  static final byte[] MAGIC = {(byte) 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
  static final int HEADER_BYTES = MAGIC.length + 8;

  /** Above snappy's largest possible ratio (64 bytes out of a 3-byte copy op, about 21). */
  static final int MAX_EXPANSION = 32;

  private final InputStream in;
  private final long maxBlockBytes;
  private final boolean framed;
  private byte[] block = new byte[0];
  private int blockPosition;
  private int blockLength;
  private boolean done;
  private int chunks;

  /**
   * @param maxBlockBytes the largest decompressed block accepted (the decompressed records' limit)
   */
  XerialSnappyInputStream(InputStream in, long maxBlockBytes) throws IOException {
    this.in = in;
    this.maxBlockBytes = maxBlockBytes;
    byte[] head = in.readNBytes(HEADER_BYTES);
    if (head.length >= MAGIC.length
        && Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      if (head.length < HEADER_BYTES) {
        throw new EOFException(
            "the snappy stream ends inside its " + HEADER_BYTES + "-byte header");
      }
      framed = true;
    } else {
      framed = false;
      // Unframed: the whole input is one raw block.
      byte[] rest = in.readAllBytes();
      byte[] raw = Arrays.copyOf(head, head.length + rest.length);
      System.arraycopy(rest, 0, raw, head.length, rest.length);
      decompress(raw, raw.length);
      done = true;
    }
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
    while (blockPosition == blockLength) {
      if (done || !nextChunk()) {
        return -1;
      }
    }
    int n = Math.min(len, blockLength - blockPosition);
    System.arraycopy(block, blockPosition, b, off, n);
    blockPosition += n;
    return n;
  }

  @Override
  public int available() {
    return blockLength - blockPosition;
  }

  /** Reads and decompresses the next chunk; false at the end of the stream. */
  private boolean nextChunk() throws IOException {
    byte[] lengthBytes = in.readNBytes(4);
    if (lengthBytes.length == 0) {
      done = true;
      return false;
    }
    if (lengthBytes.length < 4) {
      throw new EOFException("the snappy stream ends inside the length of chunk " + chunks);
    }
    if (Arrays.equals(lengthBytes, 0, 4, MAGIC, 0, 4)) {
      byte[] rest = in.readNBytes(HEADER_BYTES - 4);
      if (rest.length < HEADER_BYTES - 4
          || !Arrays.equals(rest, 0, MAGIC.length - 4, MAGIC, 4, MAGIC.length)) {
        throw new IOException(
            "chunk " + chunks + " of the snappy stream starts like a header but is not one");
      }
      return true; // a concatenated stream: its chunks follow
    }
    int length =
        (lengthBytes[0] & 0xFF) << 24
            | (lengthBytes[1] & 0xFF) << 16
            | (lengthBytes[2] & 0xFF) << 8
            | (lengthBytes[3] & 0xFF);
    if (length <= 0) {
      throw new IOException("chunk " + chunks + " of the snappy stream has length " + length);
    }
    // Allocation follows the bytes that are there, not the announced length.
    byte[] compressed = in.readNBytes(length);
    if (compressed.length < length) {
      throw new EOFException(
          "chunk "
              + chunks
              + " of the snappy stream announces "
              + length
              + " bytes but only "
              + compressed.length
              + " follow");
    }
    decompress(compressed, length);
    chunks++;
    return true;
  }

  private void decompress(byte[] compressed, int length) throws IOException {
    if (length == 0) {
      blockPosition = 0;
      blockLength = 0;
      return;
    }
    int decompressed = Snappy.uncompressedLength(compressed, 0, length);
    long limit = Math.min(maxBlockBytes, (long) MAX_EXPANSION * length);
    if (decompressed < 0 || decompressed > limit) {
      throw new IOException(
          (framed ? "chunk " + chunks : "the unframed block")
              + " of the snappy stream announces "
              + decompressed
              + " decompressed bytes out of "
              + length
              + ", above the limit "
              + limit
              + (limit == maxBlockBytes
                  ? " (the decompressed records' limit)"
                  : " ("
                      + MAX_EXPANSION
                      + " times its compressed size: more than snappy can"
                      + " expand)"));
    }
    if (block.length < decompressed) {
      block = new byte[decompressed];
    }
    blockLength = Snappy.uncompress(compressed, 0, length, block, 0);
    blockPosition = 0;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
