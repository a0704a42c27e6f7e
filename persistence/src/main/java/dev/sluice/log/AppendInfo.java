package dev.sluice.log;

/**
 * The result of an append: the offsets given to the appended records, the bytes written and the log
 * end offset after the append.
 *
 * <p>{@code duplicate} is true when an idempotent producer's batch was already in the log (a retry
 * of a batch whose answer was lost): nothing was written ({@code sizeInBytes == 0}) and the offsets
 * are those the original batch was given.
 */
public record AppendInfo(
    long baseOffset, long lastOffset, long sizeInBytes, long logEndOffset, boolean duplicate) {

  /** An append that wrote its batch. */
  public AppendInfo(long baseOffset, long lastOffset, long sizeInBytes, long logEndOffset) {
    this(baseOffset, lastOffset, sizeInBytes, logEndOffset, false);
  }

  /** The answer to a retried batch already in the log at {@code baseOffset..lastOffset}. */
  public static AppendInfo duplicateOf(long baseOffset, long lastOffset, long logEndOffset) {
    return new AppendInfo(baseOffset, lastOffset, 0, logEndOffset, true);
  }
}
