package dev.sluice.node.http;

import dev.sluice.api.ErrorBody;
import java.util.Map;

/**
 * A request that cannot be served, with the HTTP status to answer and a message that names what was
 * wrong and the limit it broke. The details become fields of the {@link ErrorBody}, beside the
 * message, in the order the map gives them.
 *
 * <p>Thread-safety: immutable.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final ErrorBody body;

  public ApiException(int status, String message) {
    this(status, message, Map.of());
  }

  /**
   * @param details keys from {@link ErrorBody} ({@code HIGH_WATERMARK}, ...); use an ordered map
   *     when there are several, so that the body reads the same on every answer
   */
  public ApiException(int status, String message, Map<String, Object> details) {
    super(message);
    this.status = status;
    this.body = new ErrorBody(message, details);
  }

  public int status() {
    return status;
  }

  /** What the client reads: the message and the details. */
  public ErrorBody body() {
    return body;
  }
}
