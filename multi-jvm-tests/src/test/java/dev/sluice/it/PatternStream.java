package dev.sluice.it;

import java.io.InputStream;

/**
 * A long deterministic byte stream made on the fly, so a test can upload hundreds of MiB without
 * holding them: byte {@code i} is {@code (i * 131) >>> 3}.
 */
final class PatternStream extends InputStream {
  private final long length;
  private long position;

  PatternStream(long length) {
    this.length = length;
  }

  @Override
  public int read() {
    return position < length ? (int) ((position++ * 131) >>> 3 & 0xff) : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (position >= length) {
      return -1;
    }
    int n = (int) Math.min(len, length - position);
    for (int i = 0; i < n; i++) {
      b[off + i] = (byte) ((position++ * 131) >>> 3);
    }
    return n;
  }
}
