package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.ApiJson;
import dev.sluice.api.Paths;
import dev.sluice.log.testing.Conditions;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code openapi.yaml} against the routes of a real node, both ways:
 *
 * <ul>
 *   <li>every operation the document lists is served: its request, built from the document (the
 *       {@code example} of each path parameter and required query parameter, the example body), is
 *       routed, i.e. not answered with the 404 of an unknown path nor with a 405;
 *   <li>nothing else is served: every other method on each documented path, and every method on
 *       each prefix of a documented path and on each child of those made from the {@link Paths}
 *       constants (where a new route's segment is declared), is answered with 404 or 405.
 * </ul>
 *
 * A route added to {@link ClientApi} without its entry in the document, or an entry without its
 * route, fails here with the method and path. Operations run for real: the node is a throwaway.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiDescriptionTest {
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
  private static final List<String> OPERATION_KEYS =
      List.of("get", "post", "put", "patch", "delete", "head", "options", "trace");

  @TempDir static Path dir;
  private SluiceNode node;
  private Map<String, Object> document;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  void startNodeAndReadTheDocument() {
    node = SluiceNode.start(TestNodes.singleNode(dir, Map.of()));
    HttpResponse<String> created =
        send("POST", "/topics", "application/json", "{\"name\":\"orders\",\"partitions\":1}");
    assertEquals(201, created.statusCode(), created.body());
    // A record at offset 0, so that the documented examples read something that exists.
    Conditions.await(
        () ->
            send("POST", "/topics/orders/partitions/0/records", "application/octet-stream", "v")
                    .statusCode()
                == 200,
        Duration.ofSeconds(30),
        "a record produced to orders-0");

    HttpResponse<String> served = send("GET", "/" + ApiDescription.PATH, null, null);
    assertEquals(200, served.statusCode(), served.body());
    assertArrayEquals(ApiDescription.document(), served.body().getBytes(StandardCharsets.UTF_8));
    document = new Yaml(new SafeConstructor(new LoaderOptions())).load(served.body());
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  @Test
  void theDocumentIsOpenApi3WithBearerAuthAndTheErrorBody() {
    assertTrue(String.valueOf(document.get("openapi")).startsWith("3."), "openapi version");
    Map<String, Object> bearer = map(map(map(document, "components"), "securitySchemes"), "bearer");
    assertEquals("http", bearer.get("type"));
    assertEquals("bearer", bearer.get("scheme"));
    assertEquals(List.of(Map.of("bearer", List.of())), document.get("security"));
    Map<String, Object> error = map(map(map(document, "components"), "schemas"), "Error");
    assertEquals(List.of("error"), error.get("required"));

    // Every operation but the document itself names its client errors with the error body.
    List<String> without = new ArrayList<>();
    for (Operation op : operations()) {
      if (op.path().equals("/" + ApiDescription.PATH)) {
        continue;
      }
      boolean describesErrors =
          map(op.spec(), "responses").entrySet().stream()
              .filter(e -> e.getKey().startsWith("4"))
              .anyMatch(e -> usesErrorBody(resolve(asMap(e.getValue()))));
      if (!describesErrors) {
        without.add(op.toString());
      }
    }
    assertEquals(List.of(), without, "operations without a 4xx answer in the error body");
  }

  @Test
  void everyDocumentedOperationIsServed() {
    List<String> unserved = new ArrayList<>();
    for (Operation op : operations()) {
      String uri = op.concretePath() + op.requiredQuery();
      HttpResponse<String> r = send(op.method(), uri, op.bodyType(), op.body());
      if (!routed(r)) {
        unserved.add(
            op + " (as " + op.method() + " " + uri + ": " + r.statusCode() + " " + r.body() + ")");
      }
    }
    assertEquals(List.of(), unserved, "documented in openapi.yaml but not served");
  }

  @Test
  void nothingUndocumentedIsServed() {
    // A documented operation as a pattern of concrete paths: a parameter is any one segment.
    List<java.util.Map.Entry<String, Pattern>> documented = new ArrayList<>();
    Map<String, String> concrete = new LinkedHashMap<>();
    for (Operation op : operations()) {
      String regex = Pattern.quote(op.path()).replaceAll("\\{[^}/]+\\}", "\\\\E[^/]+\\\\Q");
      documented.add(Map.entry(op.method(), Pattern.compile(regex)));
      concrete.putIfAbsent(op.path(), op.concretePath());
    }
    // Every prefix of a documented path, and each child of those named by a Paths constant.
    Set<String> probes = new LinkedHashSet<>();
    probes.add("/");
    for (String path : concrete.values()) {
      String[] segments = path.substring(1).split("/");
      for (int n = 1; n <= segments.length; n++) {
        probes.add("/" + String.join("/", List.of(segments).subList(0, n)));
      }
    }
    for (String prefix : new ArrayList<>(probes)) {
      for (String segment : pathConstants()) {
        probes.add((prefix.equals("/") ? "" : prefix) + "/" + segment);
      }
    }
    List<String> undocumented = new ArrayList<>();
    for (String probe : probes) {
      for (String method : METHODS) {
        boolean isDocumented =
            documented.stream()
                .anyMatch(d -> d.getKey().equals(method) && d.getValue().matcher(probe).matches());
        if (isDocumented) {
          continue;
        }
        HttpResponse<String> r = send(method, probe, null, null);
        if (routed(r)) {
          undocumented.add(method + " " + probe + " (" + r.statusCode() + " " + r.body() + ")");
        }
      }
    }
    assertEquals(List.of(), undocumented, "served but not documented in openapi.yaml");
  }

  @Test
  void documentedRequiredQueryParametersAreRequiredByTheRoutes() {
    List<String> notRequired = new ArrayList<>();
    for (Operation op : operations()) {
      for (Map<String, Object> p : op.parameters()) {
        if (!"query".equals(p.get("in")) || !Boolean.TRUE.equals(p.get("required"))) {
          continue;
        }
        String name = (String) p.get("name");
        String query = op.requiredQuery(name);
        HttpResponse<String> r =
            send(op.method(), op.concretePath() + query, op.bodyType(), op.body());
        if (r.statusCode() != 400 || !r.body().contains(name)) {
          notRequired.add(op + " without " + name + ": " + r.statusCode() + " " + r.body());
        }
      }
    }
    assertEquals(List.of(), notRequired, "required in openapi.yaml but not by the route");
  }

  /** Routed: answered by a route, not with the 404 of an unknown path or a 405. */
  private static boolean routed(HttpResponse<String> r) {
    if (r.statusCode() == 405) {
      return false;
    }
    return !(r.statusCode() == 404 && errorMessage(r).startsWith(ApiRejections.NO_ROUTE));
  }

  private static String errorMessage(HttpResponse<String> r) {
    try {
      return ApiJson.mapper().readTree(r.body()).path("error").asText("");
    } catch (Exception e) {
      return "";
    }
  }

  /** The string constants of {@link Paths}: path segments and parameter names. */
  private static List<String> pathConstants() {
    List<String> values = new ArrayList<>();
    for (Field f : Paths.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        try {
          values.add((String) f.get(null));
        } catch (IllegalAccessException e) {
          throw new AssertionError(e);
        }
      }
    }
    assertFalse(values.isEmpty(), "Paths has no string constants");
    return values;
  }

  /** One operation of the document: a method on a path template. */
  private record Operation(
      String method, String path, Map<String, Object> spec, List<Map<String, Object>> parameters) {
    @Override
    public String toString() {
      return method + " " + path;
    }

    /** The path with each path parameter replaced by its example. */
    String concretePath() {
      String concrete = path;
      for (Map<String, Object> p : parameters) {
        if ("path".equals(p.get("in"))) {
          Object example = p.get("example");
          assertTrue(
              example != null, this + ": path parameter " + p.get("name") + " has no example");
          concrete = concrete.replace("{" + p.get("name") + "}", segment(example.toString()));
        }
      }
      assertFalse(
          concrete.contains("{"), this + ": a path parameter is not described: " + concrete);
      return concrete;
    }

    /** The required query parameters with their examples, as a query string. */
    String requiredQuery() {
      return requiredQuery(null);
    }

    /** The same, leaving out {@code omitted}. */
    String requiredQuery(String omitted) {
      List<String> pairs = new ArrayList<>();
      for (Map<String, Object> p : parameters) {
        if ("query".equals(p.get("in"))
            && Boolean.TRUE.equals(p.get("required"))
            && !p.get("name").equals(omitted)) {
          Object example = p.get("example");
          assertTrue(
              example != null,
              this + ": required query parameter " + p.get("name") + " has no example");
          pairs.add(p.get("name") + "=" + segment(example.toString()));
        }
      }
      return pairs.isEmpty() ? "" : "?" + String.join("&", pairs);
    }

    /** The media type of the request body, or null for none. */
    String bodyType() {
      return content().map(c -> c.keySet().iterator().next()).orElse(null);
    }

    /** The example request body, or a placeholder of the body's media type. */
    String body() {
      Optional<Map<String, Object>> content = content();
      if (content.isEmpty()) {
        return null;
      }
      String type = content.get().keySet().iterator().next();
      Object example = asMap(content.get().get(type)).get("example");
      if (type.equals("application/json")) {
        try {
          return example == null ? "{}" : ApiJson.mapper().writeValueAsString(example);
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
      return example == null ? "probe" : example.toString();
    }

    private Optional<Map<String, Object>> content() {
      Object body = spec.get("requestBody");
      return body == null ? Optional.empty() : Optional.of(map(asMap(body), "content"));
    }
  }

  private List<Operation> operations() {
    List<Operation> ops = new ArrayList<>();
    for (Map.Entry<String, Object> path : map(document, "paths").entrySet()) {
      Map<String, Object> item = asMap(path.getValue());
      List<Map<String, Object>> shared = parameters(item.get("parameters"));
      for (Map.Entry<String, Object> e : item.entrySet()) {
        if (!OPERATION_KEYS.contains(e.getKey())) {
          continue;
        }
        Map<String, Object> spec = asMap(e.getValue());
        List<Map<String, Object>> params = new ArrayList<>(shared);
        params.addAll(parameters(spec.get("parameters")));
        ops.add(
            new Operation(
                e.getKey().toUpperCase(java.util.Locale.ROOT), path.getKey(), spec, params));
      }
    }
    assertFalse(ops.isEmpty(), "the document lists no operation");
    return ops;
  }

  private List<Map<String, Object>> parameters(Object list) {
    List<Map<String, Object>> out = new ArrayList<>();
    if (list instanceof List<?> l) {
      for (Object p : l) {
        out.add(resolve(asMap(p)));
      }
    }
    return out;
  }

  /** Follows a local {@code $ref} ({@code #/components/...}). */
  private Map<String, Object> resolve(Map<String, Object> node) {
    Object ref = node.get("$ref");
    if (ref == null) {
      return node;
    }
    String pointer = ref.toString();
    assertTrue(pointer.startsWith("#/"), "only local references: " + pointer);
    Map<String, Object> target = document;
    for (String part : pointer.substring(2).split("/")) {
      target = map(target, part);
    }
    return resolve(target);
  }

  private boolean usesErrorBody(Map<String, Object> response) {
    Object content = response.get("content");
    if (content == null) {
      return false;
    }
    Object json = asMap(content).get("application/json");
    return json != null
        && "#/components/schemas/Error".equals(map(asMap(json), "schema").get("$ref"));
  }

  private static Map<String, Object> map(Map<String, Object> parent, String key) {
    Object child = parent.get(key);
    assertTrue(child instanceof Map, key + " is not a mapping in openapi.yaml: " + child);
    return asMap(child);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) {
    return (Map<String, Object>) o;
  }

  private static String segment(String raw) {
    return URLEncoder.encode(raw, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private HttpResponse<String> send(String method, String path, String type, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiPort() + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (type != null) {
      b.header("Content-Type", type);
    }
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(method + " " + path, e);
    }
  }
}
