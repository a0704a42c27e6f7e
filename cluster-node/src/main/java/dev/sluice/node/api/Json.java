package dev.sluice.node.api;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.log.OffsetOutOfRangeException;
import dev.sluice.log.RecordTooLargeException;
import dev.sluice.node.replica.NotEnoughReplicasException;
import dev.sluice.replication.follower.FollowerState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON bodies of the client API, and the one place where failures become HTTP errors: every error
 * is {@code {"error": message, ...details}} with a status that says who must act.
 */
public final class Json {
  private static final Logger log = LoggerFactory.getLogger(Json.class);
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .addMixIn(FollowerState.class, FollowerStateAsLabel.class);

  /** A follower's state appears in JSON as its label ({@code catchingUp}), as everywhere else. */
  private interface FollowerStateAsLabel {
    @JsonValue
    String label();
  }

  private Json() {}

  public static HttpResponse ok(Object body) {
    return response(200, body);
  }

  public static HttpResponse response(int status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render " + body.getClass().getSimpleName(), e);
    }
  }

  /** Maps a failure to its HTTP answer. */
  public static HttpResponse errorResponse(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof ApiException api) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", api.getMessage());
      body.putAll(api.details());
      return response(api.status(), body);
    }
    int status;
    if (t instanceof RecordTooLargeException) {
      status = 413;
    } else if (t instanceof OffsetOutOfRangeException) {
      status = 416;
    } else if (t instanceof NotEnoughReplicasException || t instanceof TimeoutException) {
      status = 503;
    } else if (t instanceof IllegalArgumentException) {
      status = 400;
    } else {
      log.error("request failed", t);
      status = 500;
    }
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return response(status, Map.of("error", message));
  }

  /**
   * Strips future and stream wrappers; a stream that failed because a stage threw (the upload
   * limit, say) reports the stage's exception wrapped in an IO failure.
   */
  public static Throwable unwrap(Throwable t) {
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

  static ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(Throwable.class, t -> new AllDirectivesHolder().complete(errorResponse(t)))
        .build();
  }

  static Unmarshaller<HttpEntity, JsonNode> unmarshaller(ActorSystem<?> system) {
    return Unmarshaller.entityToString()
        .thenApply(
            text -> {
              try {
                return MAPPER.readTree(text);
              } catch (JsonProcessingException e) {
                throw new ApiException(
                    400, "request body is not valid JSON: " + e.getOriginalMessage());
              }
            });
  }

  static String requiredText(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || !n.isTextual()) {
      throw new ApiException(400, "field \"" + field + "\" is required and must be a string");
    }
    return n.asText();
  }

  static int requiredInt(JsonNode body, String field) {
    return optionalInt(body, field)
        .orElseThrow(
            () ->
                new ApiException(
                    400, "field \"" + field + "\" is required and must be an integer"));
  }

  static Optional<Integer> optionalInt(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.canConvertToInt() || !n.isIntegralNumber()) {
      throw new ApiException(400, "field \"" + field + "\" must be an integer, got " + n);
    }
    return Optional.of(n.asInt());
  }

  /** ExceptionHandler needs a Route; this gives access to the directives outside a route class. */
  private static final class AllDirectivesHolder
      extends org.apache.pekko.http.javadsl.server.AllDirectives {}
}
