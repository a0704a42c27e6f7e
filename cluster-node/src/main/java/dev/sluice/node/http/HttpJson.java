package dev.sluice.node.http;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.AddPartitionsRequest;
import dev.sluice.api.AlterTopicConfigRequest;
import dev.sluice.api.ApiJson;
import dev.sluice.api.CreateTopicRequest;
import dev.sluice.replication.follower.FollowerState;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * request bodies the client API reads: {@link CreateTopicRequest}, {@link AddPartitionsRequest} and
 * {@link AlterTopicConfigRequest}.
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
    Map<String, String> config = settings(body, "config", false);
    for (Map.Entry<String, String> e : config.entrySet()) {
      if (e.getValue() == null) {
        throw new ApiException(
            400, "field \"config\": setting \"" + e.getKey() + "\" needs a value, got null");
      }
    }
    return new CreateTopicRequest(
        requiredText(body, "name"),
        requiredInt(body, "partitions"),
        optionalInt(body, "replicationFactor")
            .orElse(CreateTopicRequest.DEFAULT_REPLICATION_FACTOR),
        config);
  }

  /** Reads {@code POST /topics/{t}/partitions}; a malformed body is a 400 naming the field. */
  static Unmarshaller<HttpEntity, AddPartitionsRequest> addPartitionsRequest() {
    return Unmarshaller.entityToString()
        .thenApply(text -> new AddPartitionsRequest(requiredInt(tree(text), "partitions")));
  }

  /** Reads {@code PATCH /topics/{t}/config}; a malformed body is a 400 naming the field. */
  static Unmarshaller<HttpEntity, AlterTopicConfigRequest> alterTopicConfigRequest() {
    return Unmarshaller.entityToString()
        .thenApply(text -> new AlterTopicConfigRequest(settings(tree(text), "config", true)));
  }

  /**
   * An object of settings: each value a string or a number (written as the number's text), or null
   * (kept as null: "back to the node's value").
   */
  private static Map<String, String> settings(JsonNode body, String field, boolean required) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw new ApiException(
            400, "field \"" + field + "\" is required and must be an object of settings");
      }
      return Map.of();
    }
    if (!n.isObject()) {
      throw new ApiException(
          400, "field \"" + field + "\" must be an object of settings, got " + n);
    }
    Map<String, String> settings = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : n.properties()) {
      JsonNode v = e.getValue();
      if (v.isNull()) {
        settings.put(e.getKey(), null);
      } else if (v.isTextual() || v.isNumber()) {
        settings.put(e.getKey(), v.asText());
      } else {
        throw new ApiException(
            400,
            "field \""
                + field
                + "\": setting \""
                + e.getKey()
                + "\" must be a string or a number, got "
                + v);
      }
    }
    return settings;
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
