package dev.sluice.tools;

import java.io.InputStream;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.SplittableRandom;

/**
 * Record values for the demo and the benchmarks: {@code length} pseudo-random bytes from a seed,
 * generated while they are sent, so that a record of any size costs no memory and the same seed
 * always gives the same bytes. Random rather than constant so that no layer (the OS, a compressing
 * proxy) can make the transfer cheaper than real data.
 */
final class DemoValues {

  private DemoValues() {}

  /** A request body of {@code length} bytes; a fresh stream per call, as a redirect needs. */
  static BodyPublisher body(long length, long seed) {
    return BodyPublishers.fromPublisher(
        BodyPublishers.ofInputStream(() -> stream(length, seed)), length);
  }

  static InputStream stream(long length, long seed) {
    return new Generated(length, seed);
  }

  private static final class Generated extends InputStream {
    private final SplittableRandom random;
    private long remaining;

    Generated(long length, long seed) {
      this.random = new SplittableRandom(seed);
      this.remaining = length;
    }

    @Override
    public int read() {
      if (remaining <= 0) {
        return -1;
      }
      remaining--;
      return random.nextInt(256);
    }

    @Override
    public int read(byte[] buffer, int offset, int length) {
      if (remaining <= 0) {
        return -1;
      }
      int n = (int) Math.min(length, remaining);
      int i = 0;
      // Eight bytes per random long: generating is then far faster than any disk or socket.
      for (; i + 8 <= n; i += 8) {
        long r = random.nextLong();
        for (int b = 0; b < 8; b++) {
          buffer[offset + i + b] = (byte) (r >>> (8 * b));
        }
      }
      for (; i < n; i++) {
        buffer[offset + i] = (byte) random.nextInt(256);
      }
      remaining -= n;
      return n;
    }

    @Override
    public int available() {
      return (int) Math.min(Integer.MAX_VALUE, remaining);
    }
  }
}
