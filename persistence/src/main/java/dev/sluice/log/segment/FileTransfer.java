package dev.sluice.log.segment;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Copies between files with {@code transferTo} (zero-copy where the OS supports it). */
public final class FileTransfer {
  private FileTransfer() {}

  /**
   * Copies {@code count} bytes from {@code src} at {@code srcPosition} to {@code dest} at {@code
   * destPosition}.
   */
  public static void copy(
      FileChannel src, long srcPosition, long count, FileChannel dest, long destPosition)
      throws IOException {
    dest.position(destPosition);
    long copied = 0;
    while (copied < count) {
      long n = src.transferTo(srcPosition + copied, count - copied, dest);
      if (n <= 0) {
        throw new EOFException(
            "copy stopped at " + copied + " of " + count + " bytes (source shorter than expected)");
      }
      copied += n;
    }
  }

  /** Writes all of {@code src} at {@code position}. */
  public static void writeFully(FileChannel dest, ByteBuffer src, long position)
      throws IOException {
    long p = position;
    while (src.hasRemaining()) {
      p += dest.write(src, p);
    }
  }
}
