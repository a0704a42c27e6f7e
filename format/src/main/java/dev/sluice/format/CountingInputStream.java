package dev.sluice.format;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream that counts the bytes read or skipped through it, so that a reader of records
 * (compressed ones especially, whose positions exist only in the decompressed stream) can name the
 * byte position of what it read and of what was wrong.
 *
 * <p>Not thread-safe: one reader at a time, as any stream.
 */
public final class CountingInputStream extends InputStream {
  private final InputStream in;
  private long count;

  public CountingInputStream(InputStream in) {
    this.in = in;
  }

  /** The bytes read or skipped so far: the position of the next byte in the underlying stream. */
  public long count() {
    return count;
  }

  /** The next byte; an {@link EOFException} naming the position when the stream ended. */
  public byte readByte() throws IOException {
    int b = read();
    if (b < 0) {
      throw new EOFException("the records end at byte " + count);
    }
    return (byte) b;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      count++;
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      count += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = in.skip(n);
    if (skipped > 0) {
      count += skipped;
    }
    return skipped;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
