package dev.sluice.format;

/**
 * Bytes that cannot be a record batch: bad magic, an impossible length, a length above the limit, a
 * CRC mismatch, a record that runs past its own length or the batch, a field that breaks a rule.
 * The message names the source (file, transfer or request), the position of the batch, and then the
 * record index and byte position inside the batch, the offending value and the limit, so that an
 * operator or a client can find the bytes: {@code "request position 0: record 17 at byte 40213 of
 * the batch: offset delta 18 where 17 was expected"}.
 *
 * <p>{@link #recordIndex()} is -1 for a problem in the batch header; {@link #bytePosition()} is
 * relative to the start of the batch (for a compressed batch, a record's position is in the
 * decompressed records and the message says so), or -1 when no single byte is to blame. "Not enough
 * bytes yet" is never this exception: parsers report it as a normal result.
 */
public class CorruptRecordException extends RuntimeException {
  public static final int HEADER = -1;

  private final int recordIndex;
  private final long bytePosition;

  public CorruptRecordException(String message, int recordIndex, long bytePosition) {
    super(message);
    this.recordIndex = recordIndex;
    this.bytePosition = bytePosition;
  }

  public CorruptRecordException(
      String message, int recordIndex, long bytePosition, Throwable cause) {
    super(message, cause);
    this.recordIndex = recordIndex;
    this.bytePosition = bytePosition;
  }

  public CorruptRecordException(String message) {
    this(message, HEADER, -1);
  }

  /** A batch-level problem: {@code "<source> position <p>: <detail>"}. */
  public static CorruptRecordException at(String source, long position, String detail) {
    return new CorruptRecordException(source + " position " + position + ": " + detail);
  }

  /**
   * A header field that breaks a rule: {@code "<source> position <p>: header field <field> at byte
   * <b> of the batch: <detail>"}.
   */
  public static CorruptRecordException inHeader(
      String source, long position, String field, int byteInBatch, String detail) {
    return new CorruptRecordException(
        source
            + " position "
            + position
            + ": header field "
            + field
            + " at byte "
            + byteInBatch
            + " of the batch: "
            + detail,
        HEADER,
        byteInBatch);
  }

  /**
   * A record that breaks a rule: {@code "<source> position <p>: record <i> at byte <b> of the
   * batch: <detail>"}; {@code where} is "the batch" or "the decompressed gzip records".
   */
  public static CorruptRecordException inRecord(
      String source,
      long position,
      int recordIndex,
      long bytePosition,
      String where,
      String detail) {
    return new CorruptRecordException(
        source
            + " position "
            + position
            + ": record "
            + recordIndex
            + " at byte "
            + bytePosition
            + " of "
            + where
            + ": "
            + detail,
        recordIndex,
        bytePosition);
  }

  /** The index of the offending record in its batch, or {@link #HEADER} (-1) for the header. */
  public int recordIndex() {
    return recordIndex;
  }

  /** The offending byte's position from the start of the batch, or -1 when none is. */
  public long bytePosition() {
    return bytePosition;
  }
}
