package dev.sluice.node.http;

import dev.sluice.api.ErrorBody;
import dev.sluice.log.OffsetOutOfRangeException;
import dev.sluice.log.RecordTooLargeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become HTTP errors: every error is an {@link ErrorBody}, {@code
 * {"error": message, ...details}}, with a status that says who must act (4xx the client, 503 retry,
 * 500 the operator: only those are logged).
 *
 * <p>Thread-safety: stateless.
 */
public final class HttpErrors {
  private static final Logger log = LoggerFactory.getLogger(HttpErrors.class);

  private HttpErrors() {}

  /** Maps a failure to its HTTP answer. */
  public static HttpResponse errorResponse(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof ApiException api) {
      return HttpJson.response(api.status(), api.body());
    }
    int status;
    if (t instanceof RecordTooLargeException) {
      status = 413;
    } else if (t instanceof OffsetOutOfRangeException) {
      status = 416;
    } else if (t instanceof TimeoutException) {
      status = 503;
    } else if (t instanceof IllegalArgumentException) {
      status = 400;
    } else {
      log.error("request failed", t);
      status = 500;
    }
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return HttpJson.response(status, new ErrorBody(message));
  }

  /**
   * Strips future and stream wrappers; a stream that failed because a stage threw (the upload
   * limit, say) reports the stage's exception wrapped in an IO failure.
   */
  static Throwable unwrap(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ApiException) {
        return c;
      }
    }
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Routes' exceptions (thrown while routing, before a future exists) as error answers. */
  static ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(Throwable.class, t -> new Directives().complete(errorResponse(t)))
        .build();
  }

  /** ExceptionHandler needs a Route; this gives access to the directives outside a route class. */
  private static final class Directives extends AllDirectives {}
}
