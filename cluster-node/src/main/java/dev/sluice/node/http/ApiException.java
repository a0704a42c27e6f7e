package dev.sluice.node.http;

import java.util.Map;

/**
 * A request that cannot be served, with the HTTP status to answer and a message that names what was
 * wrong and the limit it broke. Extra fields go into the JSON error body.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final Map<String, Object> details;

  public ApiException(int status, String message) {
    this(status, message, Map.of());
  }

  public ApiException(int status, String message, Map<String, Object> details) {
    super(message);
    this.status = status;
    this.details = Map.copyOf(details);
  }

  public int status() {
    return status;
  }

  public Map<String, Object> details() {
    return details;
  }
}
