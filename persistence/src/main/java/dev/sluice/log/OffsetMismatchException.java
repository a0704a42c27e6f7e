package dev.sluice.log;

/**
 * Replicated batches do not start at (or do not continue) the log end offset: appending them would
 * leave a gap or overwrite offsets. Nothing was written.
 */
public class OffsetMismatchException extends RuntimeException {
  private final long expected;
  private final long actual;

  public OffsetMismatchException(String log, long expected, long actual) {
    super(
        log
            + ": batch base offset "
            + actual
            + " does not match the expected offset "
            + expected
            + " (log end offset or previous batch end)");
    this.expected = expected;
    this.actual = actual;
  }

  public long expected() {
    return expected;
  }

  public long actual() {
    return actual;
  }
}
