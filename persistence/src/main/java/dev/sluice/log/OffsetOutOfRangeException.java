package dev.sluice.log;

/** A read asked for an offset outside {@code [logStartOffset, logEndOffset]}. */
public class OffsetOutOfRangeException extends RuntimeException {
  private final long offset;
  private final long logStartOffset;
  private final long logEndOffset;

  public OffsetOutOfRangeException(
      String log, long offset, long logStartOffset, long logEndOffset) {
    super(
        log
            + ": offset "
            + offset
            + " is out of range; valid offsets are ["
            + logStartOffset
            + ", "
            + logEndOffset
            + "]");
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }

  public long offset() {
    return offset;
  }

  public long logStartOffset() {
    return logStartOffset;
  }

  public long logEndOffset() {
    return logEndOffset;
  }
}
