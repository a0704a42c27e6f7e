package dev.sluice.replication.transfer;

import java.nio.file.Path;

/**
 * Where one whole batch lies in a segment file: {@code size} bytes from {@code position}, offsets
 * {@code baseOffset..lastOffset}. A batch never spans two segment files.
 */
public record BatchExtent(Path file, long position, long size, long baseOffset, long lastOffset) {
  public BatchExtent {
    if (size <= 0 || position < 0) {
      throw new IllegalArgumentException(
          "batch at offset " + baseOffset + ": bad extent " + position + "+" + size);
    }
  }
}
