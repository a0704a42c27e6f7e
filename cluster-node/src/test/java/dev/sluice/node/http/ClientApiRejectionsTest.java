package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.ApiJson;
import dev.sluice.api.ErrorBody;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of routing rejection of a real node's client API answers the JSON error body with the
 * status that says what to fix: unknown path 404, wrong method 405 (with {@code Allow}), missing or
 * malformed query parameter 400, malformed body 400, wrong media type 415. Missing credentials
 * (401) are {@link ClientApiAuthTest}'s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientApiRejectionsTest {
  private static final String JSON = "application/json";

  @TempDir static Path dir;
  private SluiceNode node;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  void startNode() {
    node = SluiceNode.start(TestNodes.singleNode(dir, Map.of()));
    HttpResponse<String> created =
        send(request("POST", "/topics", JSON, "{\"name\":\"orders\",\"partitions\":1}"));
    assertEquals(201, created.statusCode(), created.body());
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  @Test
  void anUnknownPathIs404NamingPathAndMethod() {
    ErrorBody top = error(send(request("GET", "/nothing/here", null, null)), 404);
    assertEquals(
        ApiRejections.NO_ROUTE + "/nothing/here (GET); the API is described at GET /openapi.yaml",
        top.error());
    // a partition that is not a number matches no route either
    ErrorBody nested =
        error(send(request("GET", "/topics/orders/partitions/x/records", null, null)), 404);
    assertTrue(
        nested.error().startsWith(ApiRejections.NO_ROUTE + "/topics/orders"), nested.error());
    // an unknown topic is the handler's 404, which says so
    ErrorBody topic = error(send(request("GET", "/topics/nope", null, null)), 404);
    assertTrue(topic.error().contains("nope"), topic.error());
    assertTrue(!topic.error().startsWith(ApiRejections.NO_ROUTE), topic.error());
  }

  @Test
  void aWrongMethodIs405WithTheAllowedOnes() {
    HttpResponse<String> put = send(request("PUT", "/topics", JSON, "{}"));
    ErrorBody body = error(put, 405);
    assertEquals("method PUT is not allowed on /topics; allowed: POST, GET", body.error());
    assertEquals("POST, GET", put.headers().firstValue("Allow").orElse(""));

    HttpResponse<String> delete =
        send(request("DELETE", "/topics/orders/partitions/0/records/0", null, null));
    assertEquals(
        "method DELETE is not allowed on /topics/orders/partitions/0/records/0; allowed: GET",
        error(delete, 405).error());
    assertEquals("GET", delete.headers().firstValue("Allow").orElse(""));
  }

  @Test
  void aMissingOrMalformedQueryParameterIs400NamingIt() {
    assertEquals(
        "query parameter 'offset' is required",
        error(send(request("GET", "/topics/orders/partitions/0/records", null, null)), 400)
            .error());
    ErrorBody offset =
        error(
            send(request("GET", "/topics/orders/partitions/0/records?offset=abc", null, null)),
            400);
    assertEquals("offset = abc: must be an integer", offset.error());
    ErrorBody acks =
        error(
            send(
                request(
                    "POST",
                    "/topics/orders/partitions/0/records?acks=some",
                    "application/octet-stream",
                    "v")),
            400);
    assertEquals("acks = some: must be all or leader", acks.error());
  }

  @Test
  void aMalformedBodyIs400SayingWhy() {
    ErrorBody notJson = error(send(request("POST", "/topics", JSON, "{\"name\":")), 400);
    assertTrue(notJson.error().startsWith("request body is not valid JSON"), notJson.error());
    ErrorBody empty = error(send(request("POST", "/topics", JSON, "")), 400);
    assertTrue(empty.error().contains("\"name\""), empty.error());
    ErrorBody wrongType =
        error(send(request("POST", "/topics", JSON, "{\"name\":\"t\",\"partitions\":\"2\"}")), 400);
    assertEquals("field \"partitions\" must be an integer, got \"2\"", wrongType.error());
  }

  @Test
  void aBodyOfAnotherMediaTypeIs415NamingTheOneExpected() {
    String topic = "{\"name\":\"plain\",\"partitions\":1}";
    ErrorBody text = error(send(request("POST", "/topics", "text/plain", topic)), 415);
    assertTrue(text.error().startsWith("Content-Type text/plain"), text.error());
    assertTrue(
        text.error().endsWith(" is not supported by POST /topics; send application/json"),
        text.error());
    // curl -d without -H: a form, which would only fail to parse as JSON
    ErrorBody form =
        error(send(request("POST", "/topics", "application/x-www-form-urlencoded", topic)), 415);
    assertTrue(
        form.error().startsWith("Content-Type application/x-www-form-urlencoded"), form.error());
    // the request got no further: no topic was created
    error(send(request("GET", "/topics/plain", null, null)), 404);
    // a body without a declared type is read as JSON (it arrives as application/octet-stream)
    HttpResponse<String> untyped = send(request("POST", "/topics", null, topic));
    assertEquals(201, untyped.statusCode(), untyped.body());
  }

  @Test
  void theApiDescriptionIsServedAsYaml() {
    HttpResponse<String> r = send(request("GET", "/openapi.yaml", null, null));
    assertEquals(200, r.statusCode());
    assertEquals("application/yaml", r.headers().firstValue("Content-Type").orElse(""));
    assertTrue(r.body().startsWith("openapi: 3."), r.body());
  }

  /** Asserts a JSON error answer with {@code status} and returns its body. */
  private static ErrorBody error(HttpResponse<String> r, int status) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(JSON, r.headers().firstValue("Content-Type").orElse(""), r.body());
    try {
      return ApiJson.mapper().readValue(r.body(), ErrorBody.class);
    } catch (Exception e) {
      throw new AssertionError("not an error body: " + r.body(), e);
    }
  }

  private HttpRequest.Builder request(String method, String path, String type, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiPort() + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return type == null ? b : b.header("Content-Type", type);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
