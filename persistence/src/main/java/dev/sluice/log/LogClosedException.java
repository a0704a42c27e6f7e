package dev.sluice.log;

/**
 * A write reached a {@link PartitionLog} that was closed: its replica stopped (the node is shutting
 * down, or the partition moved or was deleted) while the write was on its way. Nothing was written;
 * the caller's client should retry with whichever node leads the partition now.
 */
public final class LogClosedException extends RuntimeException {
  public LogClosedException(String message) {
    super(message);
  }
}
