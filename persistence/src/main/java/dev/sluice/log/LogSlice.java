package dev.sluice.log;

import java.nio.file.Path;

/**
 * Whole batches of one segment file: {@code length} bytes from {@code position}, holding offsets
 * {@code baseOffset} to {@code lastOffset}. A batch never spans two segment files.
 *
 * <p>Readers copy the bytes through {@link #region()}; nothing locks the file meanwhile. It may be
 * deleted (retention) or cut (truncation) after the slice was made: reading then fails with an
 * {@code IOException} and the reader simply fetches again. If new batches were written at the same
 * place after a truncation, the slice reads whole batches that are not the ones it names; whoever
 * applies them checks each batch's offsets and CRC (a follower's {@link PartitionLog#appendBatches}
 * refuses them), so a stale slice costs a retry, never a wrong log.
 */
public record LogSlice(
    Path segmentFile, long position, long length, long baseOffset, long lastOffset) {
  public LogSlice {
    if (length <= 0 || position < 0 || lastOffset < baseOffset) {
      throw new IllegalArgumentException(
          segmentFile
              + ": no batches of "
              + length
              + " bytes at position "
              + position
              + " holding offsets "
              + baseOffset
              + " to "
              + lastOffset);
    }
  }

  /** The bytes of the slice in its segment file. */
  public FileRegion region() {
    return new FileRegion(segmentFile, position, length);
  }
}
