package dev.sluice.api;

import java.util.OptionalLong;

/**
 * One {@link MediaTypes#NDJSON} line that {@link NdjsonCodec} could not read: which field (when the
 * problem is in one), what was wrong, and where in the line. The server, the client and the CLI
 * each wrap it into their own error, adding where the line came from (a record index and body
 * position, a file and line number).
 *
 * <p>The message is {@link #problem()} followed by {@code " (byte N of the line)"} when the
 * position is known.
 *
 * <p>Thread-safety: immutable.
 */
public final class NdjsonLineException extends IllegalArgumentException {
  private final String field;
  private final String problem;
  private final long byteOffset;

  /**
   * @param field the field at fault ({@code value}, {@code headers[0].key}), or null for the line
   * @param problem what was wrong, without position
   * @param byteOffset the 0-based byte offset within the line, or -1 when unknown
   */
  public NdjsonLineException(String field, String problem, long byteOffset) {
    super(problem + (byteOffset < 0 ? "" : " (byte " + byteOffset + " of the line)"));
    this.field = field;
    this.problem = problem;
    this.byteOffset = byteOffset;
  }

  /** The field at fault, or null when the problem is the line as a whole. */
  public String field() {
    return field;
  }

  /** What was wrong, without the position. */
  public String problem() {
    return problem;
  }

  /** The 0-based byte offset within the line where the problem was found, when known. */
  public OptionalLong byteOffset() {
    return byteOffset < 0 ? OptionalLong.empty() : OptionalLong.of(byteOffset);
  }
}
