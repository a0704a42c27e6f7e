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

  /**
   * No HTTP status: the server answered 2xx, but with something that does not fit the request (a
   * produce answer whose offsets or count do not match the batch, no answer body). The request may
   * well have taken effect, so sending it again is not safe: unlike {@link #NO_STATUS}, this is not
   * a reason to retry.
   */
  public static final int BAD_ANSWER = -1;

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

  private SluiceClientException(String message, Throwable cause, int status) {
    super(message, cause);
    this.status = status;
    this.error = null;
  }

  /**
   * A 2xx answer that could not be read as what the request asked for: status {@link #BAD_ANSWER}.
   */
  public static SluiceClientException badAnswer(String message, Throwable cause) {
    return new SluiceClientException(message, cause, BAD_ANSWER);
  }

  /** The HTTP status, or {@link #NO_STATUS} or {@link #BAD_ANSWER}. */
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
