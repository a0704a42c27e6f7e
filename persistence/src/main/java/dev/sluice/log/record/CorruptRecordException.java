package dev.sluice.log.record;

/**
 * Bytes that cannot be a record batch: bad magic, an impossible length, a length above the limit, a
 * CRC mismatch, or records that run past the end of their batch. The message names the source (file
 * or transfer), the position, the offending value and the limit, so an operator can find the bytes.
 * "Not enough bytes yet" is never this exception: parsers report it as a normal result.
 */
public class CorruptRecordException extends RuntimeException {
  public CorruptRecordException(String message) {
    super(message);
  }

  /** Formats the house message: {@code "<source> position <p>: <detail>"}. */
  public static CorruptRecordException at(String source, long position, String detail) {
    return new CorruptRecordException(source + " position " + position + ": " + detail);
  }
}
