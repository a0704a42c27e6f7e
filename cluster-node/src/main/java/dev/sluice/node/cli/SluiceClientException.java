package dev.sluice.node.cli;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request the server refused or could not be sent. The message is the server's {@code error} text
 * when there is one, so the user sees what the node said rather than an HTTP status.
 */
final class SluiceClientException extends RuntimeException {

  /** No HTTP status: the request never got an answer (connection refused, timeout, ...). */
  static final int NO_STATUS = 0;

  private final int status;
  private final JsonNode body;

  SluiceClientException(int status, String message, JsonNode body) {
    super(message);
    this.status = status;
    this.body = body;
  }

  SluiceClientException(String message, Throwable cause) {
    super(message, cause);
    this.status = NO_STATUS;
    this.body = null;
  }

  /** The HTTP status, or {@link #NO_STATUS}. */
  int status() {
    return status;
  }

  /** The server's JSON error body (may hold more fields, e.g. the range of a 416), or null. */
  JsonNode body() {
    return body;
  }
}
