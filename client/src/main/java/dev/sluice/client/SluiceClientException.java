package dev.sluice.client;

import dev.sluice.api.ErrorBody;
import java.util.Optional;

/**
 * A request the server refused or could not be sent. The message is the server's {@code error} text
 * when there is one, so the user sees what the node said rather than an HTTP status.
 *
 * <p>Thread-safety: immutable.
 */
public final class SluiceClientException extends RuntimeException {

  /** No HTTP status: the request never got an answer (connection refused, timeout, ...). */
  public static final int NO_STATUS = 0;

  private final int status;
  private final transient ErrorBody error;

  /**
   * @param error the server's error body, or null when the answer had none (a redirect loop, a
   *     proxy's page)
   */
  public SluiceClientException(int status, String message, ErrorBody error) {
    super(message);
    this.status = status;
    this.error = error;
  }

  /** A request that got no answer, or an answer that could not be read. */
  public SluiceClientException(String message, Throwable cause) {
    super(message, cause);
    this.status = NO_STATUS;
    this.error = null;
  }

  /** The HTTP status, or {@link #NO_STATUS}. */
  public int status() {
    return status;
  }

  /**
   * The server's error body, whose details may say more (the readable range of a 416, the limit of
   * a 413); empty when the answer was not a Sluice error body.
   */
  public Optional<ErrorBody> error() {
    return Optional.ofNullable(error);
  }
}
