package dev.sluice.replication.protocol;

/**
 * Bytes on a replication connection that cannot be a frame: an unknown type, a negative or
 * impossible length, a payload above peer-max-bytes, chunk positions that contradict each other.
 * The message names the connection (partition and peer), the stream byte position, the log offset
 * when the header has one, the offending value and the limit. "Not enough bytes yet" is never this
 * exception. The transfer fails and is restarted with backoff on a fresh connection.
 */
public class CorruptFrameException extends RuntimeException {
  public CorruptFrameException(String message) {
    super(message);
  }

  /** {@code "<source> stream byte <p> offset <o>: <detail>"}; offset -1 means none known. */
  public static CorruptFrameException at(
      String source, long streamPosition, long offset, String detail) {
    return new CorruptFrameException(
        source
            + " stream byte "
            + streamPosition
            + (offset >= 0 ? " offset " + offset : "")
            + ": "
            + detail);
  }
}
