package dev.sluice.node.cli;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A small client for a node's HTTP API: JSON for metadata, raw bytes for record values. Bodies are
 * streamed both ways so a record of any size passes in constant memory.
 *
 * <p>Redirects (307/308) are followed here rather than by {@link HttpClient}: a node that does not
 * lead a partition redirects to the one that does, and the request must be repeated with the same
 * method and a fresh copy of the body, which is why bodies are passed as suppliers. Every non-2xx
 * answer becomes a {@link SluiceClientException} carrying the server's {@code error} message.
 *
 * <p>Thread-safety: safe to share; each call is independent.
 */
final class SluiceClient {

  /** Header carrying a record's key, UTF-8 text. */
  static final String KEY_HEADER = "X-Sluice-Key";

  /** Header carrying the offset of a fetched record. */
  static final String OFFSET_HEADER = "X-Sluice-Offset";

  /** A leader hands out at most one redirect; a few spare hops absorb a leadership change. */
  static final int MAX_REDIRECTS = 5;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** Error bodies are small JSON; never buffer a runaway one whole. */
  private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** How long a produce waits for its acknowledgement; absent = the server's default. */
  enum Acks {
    ALL,
    LEADER;

    String queryValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A fetched record; {@code value} is open until the reader returns. */
  record FetchedRecord(long offset, String key, long length, InputStream value) {}

  /** Consumes a fetched record's value stream; called only for a 2xx answer. */
  @FunctionalInterface
  interface RecordReader<T> {
    T read(FetchedRecord record) throws IOException;
  }

  private final HttpClient http;
  private final URI base;

  private SluiceClient(HttpClient http, URI base) {
    this.http = http;
    this.base = base;
  }

  static SluiceClient create(URI server) {
    HttpClient http =
        HttpClient.newBuilder()
            // HTTP/1.1: no h2c upgrade dance on plain http, and 100-continue behaves predictably.
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    // A trailing slash makes relative paths resolve under a path prefix (a node behind a proxy).
    String s = server.toString();
    return new SluiceClient(http, URI.create(s.endsWith("/") ? s : s + "/"));
  }

  static ObjectMapper json() {
    return JSON;
  }

  JsonNode createTopic(String name, int partitions, int replicationFactor) {
    ObjectNode body =
        JSON.createObjectNode()
            .put("name", name)
            .put("partitions", partitions)
            .put("replicationFactor", replicationFactor);
    byte[] bytes = body.toString().getBytes(UTF_8);
    return exchange(
        "POST",
        "topics",
        Map.of("Content-Type", "application/json", "Accept", "application/json"),
        () -> BodyPublishers.ofByteArray(bytes),
        false,
        SluiceClient::readJson);
  }

  JsonNode listTopics() {
    return getJson("topics");
  }

  /** The topic as the server sent it, for {@code --json}. */
  JsonNode describeTopic(String name) {
    return getJson("topics/" + segment(name));
  }

  TopicInfo topic(String name) {
    JsonNode node = describeTopic(name);
    try {
      return JSON.treeToValue(node, TopicInfo.class);
    } catch (JsonProcessingException e) {
      throw new SluiceClientException(
          "unexpected topic description from the server: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Appends one record and returns its offset.
   *
   * @param key the record key, or null
   * @param acks the acknowledgement condition, or null for the server's default
   * @param value a fresh body per call (a redirect sends it again)
   * @param expectContinue ask before sending the body, so that a redirect or a size rejection
   *     arrives before a large body is uploaded to the wrong node
   */
  long append(
      String topic,
      int partition,
      String key,
      Acks acks,
      Supplier<BodyPublisher> value,
      boolean expectContinue) {
    String path = recordsPath(topic, partition);
    if (acks != null) {
      path += "?acks=" + acks.queryValue();
    }
    Map<String, String> headers =
        key == null
            ? Map.of("Content-Type", "application/octet-stream", "Accept", "application/json")
            : Map.of(
                "Content-Type",
                "application/octet-stream",
                "Accept",
                "application/json",
                KEY_HEADER,
                key);
    JsonNode answer =
        exchange("POST", path, headers, value, expectContinue, SluiceClient::readJson);
    JsonNode offset = answer.get("offset");
    if (offset == null || !offset.canConvertToLong()) {
      throw new SluiceClientException(
          SluiceClientException.NO_STATUS, "server answered without an offset: " + answer, answer);
    }
    return offset.asLong();
  }

  /** Fetches the record at {@code offset} and hands its streamed value to {@code reader}. */
  <T> T fetch(String topic, int partition, long offset, RecordReader<T> reader) {
    String path = recordsPath(topic, partition) + "/" + offset;
    return exchange(
        "GET",
        path,
        Map.of("Accept", "application/octet-stream"),
        null,
        false,
        response -> {
          long actual = response.headers().firstValueAsLong(OFFSET_HEADER).orElse(offset);
          String key =
              response
                  .headers()
                  .firstValue(KEY_HEADER)
                  .map(SluiceClient::fromHeaderValue)
                  .orElse(null);
          long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
          return reader.read(new FetchedRecord(actual, key, length, response.body()));
        });
  }

  private JsonNode getJson(String path) {
    return exchange(
        "GET", path, Map.of("Accept", "application/json"), null, false, SluiceClient::readJson);
  }

  @FunctionalInterface
  private interface ResponseReader<T> {
    T read(HttpResponse<InputStream> response) throws IOException;
  }

  private <T> T exchange(
      String method,
      String path,
      Map<String, String> headers,
      Supplier<BodyPublisher> body,
      boolean expectContinue,
      ResponseReader<T> reader) {
    URI uri = base.resolve(path);
    for (int redirects = 0; ; redirects++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri)
              .method(method, body == null ? BodyPublishers.noBody() : body.get())
              .expectContinue(expectContinue);
      headers.forEach(request::header);
      HttpResponse<InputStream> response = send(request.build());
      int status = response.statusCode();
      try (InputStream in = response.body()) {
        if (status == 307 || status == 308) {
          if (redirects == MAX_REDIRECTS) {
            throw new SluiceClientException(
                status,
                "too many redirects (more than " + MAX_REDIRECTS + "), last to " + uri,
                null);
          }
          uri = redirectTarget(uri, response);
          continue;
        }
        if (status / 100 != 2) {
          throw errorFrom(status, in.readNBytes(MAX_ERROR_BODY_BYTES));
        }
        try {
          return reader.read(response);
        } catch (IOException e) {
          // The reader also writes local files; its failures speak for themselves.
          throw new UncheckedIOException(e);
        }
      } catch (IOException e) {
        throw new SluiceClientException(
            "reading the answer from " + uri + " failed: " + describe(e), e);
      }
    }
  }

  private HttpResponse<InputStream> send(HttpRequest request) {
    try {
      return http.send(request, BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new SluiceClientException(
          "cannot reach " + request.uri().resolve("/") + ": " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceClientException("interrupted while talking to " + request.uri(), e);
    }
  }

  private static URI redirectTarget(URI from, HttpResponse<?> response) {
    String location =
        response
            .headers()
            .firstValue("Location")
            .orElseThrow(
                () ->
                    new SluiceClientException(
                        response.statusCode(), "redirect without a Location from " + from, null));
    return from.resolve(location);
  }

  private static SluiceClientException errorFrom(int status, byte[] body) {
    JsonNode json = null;
    try {
      json = JSON.readTree(body);
    } catch (IOException notJson) {
      // Not from a Sluice node (a proxy, say); fall through to the raw text.
    }
    if (json != null && json.hasNonNull("error")) {
      return new SluiceClientException(status, json.get("error").asText(), json);
    }
    String text = new String(body, UTF_8).strip();
    if (text.length() > 200) {
      text = text.substring(0, 200) + "...";
    }
    return new SluiceClientException(
        status, "HTTP " + status + (text.isEmpty() ? "" : ": " + text), json);
  }

  private static JsonNode readJson(HttpResponse<InputStream> response) throws IOException {
    return JSON.readTree(response.body());
  }

  private static String recordsPath(String topic, int partition) {
    return "topics/" + segment(topic) + "/partitions/" + partition + "/records";
  }

  private static String segment(String raw) {
    return URLEncoder.encode(raw, UTF_8).replace("+", "%20");
  }

  /**
   * Response header bytes reach us one char per byte (ISO-8859-1); a key the server sent as UTF-8
   * is decoded back here. (Requests cannot do the same: java.net.http sends header values as
   * US-ASCII, which is why {@code produce --key} accepts ASCII only.)
   */
  static String fromHeaderValue(String header) {
    return new String(header.getBytes(ISO_8859_1), UTF_8);
  }

  private static String describe(Throwable e) {
    // HttpClient's ConnectException has no message of its own; its cause says "Connection refused".
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return e.getClass().getSimpleName();
  }
}
