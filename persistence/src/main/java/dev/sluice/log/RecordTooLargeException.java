package dev.sluice.log;

/** A batch larger than {@code max-batch-bytes} was offered to the leader; nothing was written. */
public class RecordTooLargeException extends RuntimeException {
  private final long size;
  private final long limit;

  public RecordTooLargeException(long size, long limit) {
    super("batch of " + size + " bytes exceeds max-batch-bytes " + limit);
    this.size = size;
    this.limit = limit;
  }

  public long size() {
    return size;
  }

  public long limit() {
    return limit;
  }
}
