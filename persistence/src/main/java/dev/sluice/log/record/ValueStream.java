package dev.sluice.log.record;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongFunction;

/**
 * Exactly {@code length} bytes of a record's value from a stream positioned at its first byte: a
 * segment file for an uncompressed batch, the decompressed records for a compressed one. Reads end
 * after the value; a source that ends sooner is an {@link EOFException} whose message the caller
 * words, given the bytes still missing.
 *
 * <p>Thread-safety: not thread-safe, like the stream it wraps.
 */
final class ValueStream extends FilterInputStream {
  private final LongFunction<String> endedShort;
  private long left;

  ValueStream(InputStream in, long length, LongFunction<String> endedShort) {
    super(in);
    this.left = length;
    this.endedShort = endedShort;
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
    if (left == 0) {
      return -1;
    }
    int n = in.read(b, off, (int) Math.min(len, left));
    if (n < 0) {
      throw new EOFException(endedShort.apply(left));
    }
    left -= n;
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = in.skip(Math.min(n, left));
    left -= skipped;
    return skipped;
  }

  @Override
  public int available() throws IOException {
    return (int) Math.min(in.available(), left);
  }
}
