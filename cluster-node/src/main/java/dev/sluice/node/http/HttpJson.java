package dev.sluice.node.http;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.ApiJson;
import dev.sluice.api.CreateTopicRequest;
import dev.sluice.replication.follower.FollowerState;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * JSON on the node's HTTP ports: answers rendered with the API's mapper ({@link ApiJson}), and the
 * one request body the client API reads, {@link CreateTopicRequest}.
 *
 * <p>The request is read field by field rather than bound by Jackson so that a wrong type is
 * refused (a string or a fraction for {@code partitions} is a 400 naming the field, where Jackson
 * would coerce it).
 *
 * <p>Thread-safety: stateless; the mapper is configured once, here.
 */
public final class HttpJson {
  /**
   * The API's mapper, plus the management pages' follower state ({@code GET /replicas} shows the
   * watchdog's health records), which appears as its label ({@code catchingUp}) as everywhere else.
   */
  private static final ObjectMapper MAPPER =
      ApiJson.mapper().copy().addMixIn(FollowerState.class, FollowerStateAsLabel.class);

  /** {@link dev.sluice.api.MediaTypes#JSON} as Pekko's content type. */
  static final ContentType JSON = ContentTypes.parse(dev.sluice.api.MediaTypes.JSON);

  private interface FollowerStateAsLabel {
    @JsonValue
    String label();
  }

  private HttpJson() {}

  /** A 200 answer with {@code body} as JSON. */
  public static HttpResponse ok(Object body) {
    return response(200, body);
  }

  /** An answer with {@code status} and {@code body} as JSON. */
  public static HttpResponse response(int status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(JSON, MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render " + body.getClass().getSimpleName(), e);
    }
  }

  /** Reads {@code POST /topics}; a malformed body is a 400 naming the field. */
  static Unmarshaller<HttpEntity, CreateTopicRequest> createTopicRequest() {
    return Unmarshaller.entityToString().thenApply(text -> createTopicRequest(tree(text)));
  }

  /**
   * Whether a request body may be read as JSON: {@code application/json}, or no declared type (a
   * request without {@code Content-Type} arrives as {@code application/octet-stream}). Any other
   * type is refused before the body is read: a form (curl's {@code -d} without {@code -H}) or text
   * would only fail to parse, with a less helpful message.
   */
  static boolean readableAsJson(ContentType type) {
    MediaType media = type.mediaType();
    return media.equals(MediaTypes.APPLICATION_JSON)
        || media.equals(MediaTypes.APPLICATION_OCTET_STREAM);
  }

  private static JsonNode tree(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ApiException(400, "request body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static CreateTopicRequest createTopicRequest(JsonNode body) {
    return new CreateTopicRequest(
        requiredText(body, "name"),
        requiredInt(body, "partitions"),
        optionalInt(body, "replicationFactor")
            .orElse(CreateTopicRequest.DEFAULT_REPLICATION_FACTOR));
  }

  private static String requiredText(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || !n.isTextual()) {
      throw new ApiException(400, "field \"" + field + "\" is required and must be a string");
    }
    return n.asText();
  }

  private static int requiredInt(JsonNode body, String field) {
    return optionalInt(body, field)
        .orElseThrow(
            () ->
                new ApiException(
                    400, "field \"" + field + "\" is required and must be an integer"));
  }

  private static Optional<Integer> optionalInt(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.canConvertToInt() || !n.isIntegralNumber()) {
      throw new ApiException(400, "field \"" + field + "\" must be an integer, got " + n);
    }
    return Optional.of(n.asInt());
  }
}
