package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.LeaderMoves;
import dev.sluice.api.Permission;
import dev.sluice.api.ProducerIdResponse;
import dev.sluice.api.TokenFile;
import dev.sluice.api.TopicDeleted;
import dev.sluice.api.TopicDescription;
import dev.sluice.log.PartitionLog;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import dev.sluice.node.auth.Authorizer;
import dev.sluice.node.auth.TokenStore;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.BlockingIo;
import dev.sluice.replication.protocol.PartitionId;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client API's routes behind bearer tokens: a real node's log and handlers, served on a second
 * port by a {@link ClientApi} with an {@link Authorizer} over a tokens file. Its topic service
 * records what reaches it, so a test can tell that a refused request went no further. The node's
 * own port runs with {@code auth = none}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientApiAuthTest {
  private static final String JSON = "application/json";

  @TempDir static Path dir;
  private SluiceNode node;
  private ServerBinding secured;
  private final RecordingTopics topics = new RecordingTopics();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private String admin;
  private String writer;
  private String reader;
  private String nothing;

  @BeforeAll
  void start() throws Exception {
    node = SluiceNode.start(TestNodes.singleNode(dir, Map.of()));
    assertEquals(
        201, send(plain("POST", "/topics", "{\"name\":\"orders\",\"partitions\":1}")).statusCode());
    assertEquals(
        201,
        send(plain("POST", "/topics", "{\"name\":\"payments\",\"partitions\":1}")).statusCode());
    awaitCondition(() -> leads("orders") && leads("payments"), "leaders of orders and payments");

    TokenFile file = new TokenFile(dir.resolve("tokens.json"));
    Clock clock = Clock.systemUTC();
    admin = file.create("admin", List.of(Permission.admin()), clock).token();
    writer = file.create("writer", List.of(Permission.produce("orders*")), clock).token();
    reader = file.create("reader", List.of(Permission.consume("orders")), clock).token();
    nothing = file.create("nothing", List.of(), clock).token();
    TokenStore store = TokenStore.open(file.path(), Duration.ofSeconds(10), clock);

    ClientApi api =
        new ClientApi(
            topics,
            new ProduceHandler(
                node.system(),
                node.replicas(),
                topics,
                4L * 1024 * 1024,
                4L * 1024 * 1024,
                Duration.ofSeconds(10),
                BlockingIo.executor(node.system()),
                ApiMetrics.discarding()),
            () -> CompletableFuture.completedFuture(new ProducerIdResponse(42, (short) 0)),
            new ConsumeHandler(
                node.replicas(),
                topics,
                BlockingIo.executor(node.system()),
                node.settings().api().maxFetchWait()),
            new Authorizer(store, 1),
            () -> CompletableFuture.failedFuture(new ApiException(503, "no status here")),
            ApiMetrics.discarding());
    secured =
        Http.get(node.system())
            .newServerAt("127.0.0.1", 0)
            .bind(api.routes())
            .toCompletableFuture()
            .get();
  }

  @AfterAll
  void stop() throws Exception {
    secured.unbind().toCompletableFuture().get();
    node.close();
  }

  @BeforeEach
  void forget() {
    topics.calls.clear();
  }

  @Test
  void noTokenIs401WithTheBearerChallenge() {
    HttpResponse<String> r = send(secured("GET", "/topics", null, null));
    assertEquals(401, r.statusCode());
    assertEquals("Bearer realm=\"sluice\"", header(r, "WWW-Authenticate"));
    assertEquals(JSON, header(r, "Content-Type"));
    assertEquals(
        "{\"error\":\"node 1 requires a bearer token: send 'Authorization: Bearer <token>'"
            + " (bin/sluice: --token or SLUICE_TOKEN)\"}",
        r.body());

    HttpResponse<String> basic =
        send(secured("GET", "/topics", null, null).header("Authorization", "Basic YTpi"));
    assertEquals(401, basic.statusCode());
    assertEquals("Bearer realm=\"sluice\"", header(basic, "WWW-Authenticate"));
    assertEquals(
        "{\"error\":\"node 1 requires a bearer token, the Authorization header uses the 'basic'"
            + " scheme: send 'Authorization: Bearer <token>' (bin/sluice: --token or"
            + " SLUICE_TOKEN)\"}",
        basic.body());
    assertEquals(List.of(), topics.calls);
  }

  @Test
  void routingRejectionsAreJsonWithOrWithoutAToken() {
    HttpResponse<String> unknown = send(secured("GET", "/nothing", null, null));
    assertEquals(404, unknown.statusCode());
    assertEquals(JSON, header(unknown, "Content-Type"));
    assertTrue(unknown.body().startsWith("{\"error\":\"" + ApiRejections.NO_ROUTE), unknown.body());
    HttpResponse<String> method = send(secured("PUT", "/topics", null, "{}"));
    assertEquals(405, method.statusCode());
    assertEquals(JSON, header(method, "Content-Type"));
    HttpResponse<String> type =
        send(
            secured("POST", "/topics", admin, "{\"name\":\"x\",\"partitions\":1}")
                .setHeader("Content-Type", "text/plain"));
    assertEquals(415, type.statusCode(), type.body());
    assertEquals(JSON, header(type, "Content-Type"));
    // The description holds no data: it is served without a token.
    assertEquals(200, send(secured("GET", "/openapi.yaml", null, null)).statusCode());
    assertEquals(List.of(), topics.calls);
  }

  @Test
  void anUnknownTokenIs401NamingItInvalid() {
    HttpResponse<String> r = send(secured("GET", "/topics", "sluice_revoked", null));
    assertEquals(401, r.statusCode());
    assertEquals("Bearer realm=\"sluice\",error=invalid_token", header(r, "WWW-Authenticate"));
    assertEquals("{\"error\":\"the bearer token is unknown or revoked on node 1\"}", r.body());
    assertEquals(List.of(), topics.calls);
  }

  @Test
  void aTokenWithoutThePermissionIs403NamingTokenAndPermission() {
    HttpResponse<String> create =
        send(secured("POST", "/topics", writer, "{\"name\":\"x\",\"partitions\":1}"));
    assertEquals(403, create.statusCode());
    assertEquals(
        "{\"error\":\"token 'writer' lacks admin (it has produce:orders*)\",\"token\":\"writer\","
            + "\"requiredPermission\":\"admin\"}",
        create.body());
    assertEquals(List.of(), topics.calls, "create never reached the controller");
    assertTrue(header(create, "WWW-Authenticate").isEmpty(), "a 403 has no challenge");

    HttpResponse<String> describe = send(secured("GET", "/topics/orders", nothing, null));
    assertEquals(403, describe.statusCode());
    assertEquals(
        "{\"error\":\"token 'nothing' lacks admin, produce:orders or consume:orders (it has no"
            + " permissions)\",\"token\":\"nothing\","
            + "\"requiredPermission\":\"admin|produce:orders|consume:orders\"}",
        describe.body());

    HttpResponse<String> read =
        send(secured("GET", "/topics/orders/partitions/0/records/0", writer, null));
    assertEquals(403, read.statusCode());
    assertTrue(read.body().contains("\"requiredPermission\":\"consume:orders\""), read.body());
    HttpResponse<String> batches =
        send(secured("GET", "/topics/payments/partitions/0/records?offset=0", reader, null));
    assertEquals(403, batches.statusCode());
    assertEquals(
        "{\"error\":\"token 'reader' lacks consume:payments (it has consume:orders)\","
            + "\"token\":\"reader\",\"requiredPermission\":\"consume:payments\"}",
        batches.body());
    assertEquals(List.of(), topics.calls);
  }

  @Test
  void topicLifecycleAndLeaderRebalanceNeedAdmin() {
    List<HttpRequest.Builder> writes =
        List.of(
            secured("DELETE", "/topics/orders", writer, null),
            secured("POST", "/topics/orders/partitions", writer, "{\"partitions\":2}"),
            secured("PATCH", "/topics/orders/config", writer, "{\"config\":{\"flush\":\"os\"}}"),
            secured("POST", "/leaders/rebalance", writer, null));
    for (HttpRequest.Builder request : writes) {
      HttpResponse<String> r = send(request);
      assertEquals(403, r.statusCode(), r.body());
      assertTrue(r.body().contains("\"requiredPermission\":\"admin\""), r.body());
    }
    assertEquals(List.of(), topics.calls, "nothing reached the controller");

    assertEquals(200, send(secured("DELETE", "/topics/orders", admin, null)).statusCode());
    assertEquals(
        200,
        send(secured("POST", "/topics/orders/partitions", admin, "{\"partitions\":2}"))
            .statusCode());
    assertEquals(
        200,
        send(secured(
                "PATCH",
                "/topics/orders/config",
                admin,
                "{\"config\":{\"flush\":\"os\",\"retention.bytes\":null}}"))
            .statusCode());
    assertEquals(200, send(secured("POST", "/leaders/rebalance", admin, null)).statusCode());
    assertEquals(
        List.of(
            "delete orders",
            "add-partitions orders 2",
            "alter orders {flush=os, retention.bytes=null}",
            "rebalance"),
        topics.calls);
  }

  @Test
  void aProducerIdNeedsProduceOnAnyTopicOrAdmin() {
    for (String token : List.of(writer, admin)) {
      HttpResponse<String> r = send(secured("POST", "/producers", token, null));
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("{\"producerId\":42,\"producerEpoch\":0}", r.body());
    }
    HttpResponse<String> consumer = send(secured("POST", "/producers", reader, null));
    assertEquals(403, consumer.statusCode(), consumer.body());
    assertEquals(
        "{\"error\":\"token 'reader' lacks produce:<any topic> or admin (it has consume:orders)\","
            + "\"token\":\"reader\",\"requiredPermission\":\"produce:<any topic>|admin\"}",
        consumer.body());
    assertEquals(403, send(secured("POST", "/producers", nothing, null)).statusCode());
    assertEquals(401, send(secured("POST", "/producers", null, null)).statusCode());
  }

  @Test
  void malformedLifecycleBodiesAre400NamingTheField() {
    HttpResponse<String> count =
        send(secured("POST", "/topics/orders/partitions", admin, "{\"partitions\":\"two\"}"));
    assertEquals(400, count.statusCode(), count.body());
    assertTrue(count.body().contains("partitions"), count.body());
    HttpResponse<String> settings =
        send(secured("PATCH", "/topics/orders/config", admin, "{\"config\":[1]}"));
    assertEquals(400, settings.statusCode(), settings.body());
    assertTrue(settings.body().contains("config"), settings.body());
    HttpResponse<String> value =
        send(secured("PATCH", "/topics/orders/config", admin, "{\"config\":{\"flush\":true}}"));
    assertEquals(400, value.statusCode(), value.body());
    assertTrue(value.body().contains("flush"), value.body());
    assertEquals(List.of(), topics.calls);
  }

  @Test
  void tokensWithThePermissionAreServed() {
    assertEquals(
        201,
        send(secured("POST", "/topics", admin, "{\"name\":\"x\",\"partitions\":1}")).statusCode());
    assertEquals(List.of("create x"), topics.calls);
    assertEquals(200, send(secured("GET", "/topics", nothing, null)).statusCode());
    assertEquals(200, send(secured("GET", "/topics/orders", reader, null)).statusCode());
    assertEquals(200, send(secured("GET", "/topics/orders", writer, null)).statusCode());
    assertEquals(200, send(secured("GET", "/topics/orders", admin, null)).statusCode());

    HttpResponse<String> produced =
        send(secured("POST", "/topics/orders/partitions/0/records", writer, "hello"));
    assertEquals(200, produced.statusCode(), produced.body());
    long offset = readJson(produced.body()).get("offset").asLong();
    HttpResponse<String> read =
        send(secured("GET", "/topics/orders/partitions/0/records/" + offset, reader, null));
    assertEquals(200, read.statusCode(), read.body());
    assertEquals("hello", read.body());
    assertEquals(
        200,
        send(secured("GET", "/topics/orders/partitions/0/records?offset=" + offset, reader, null))
            .statusCode());
  }

  @Test
  void aRefusedProduceNeverReachesTheLogNorTheLeaderLookup() throws Exception {
    PartitionReplica payments = leader("payments");
    long before = payments.log().logEndOffset();
    HttpResponse<String> r =
        send(secured("POST", "/topics/payments/partitions/0/records", reader, "stolen"));
    assertEquals(403, r.statusCode());
    assertEquals(
        "{\"error\":\"token 'reader' lacks produce:payments (it has consume:orders)\","
            + "\"token\":\"reader\",\"requiredPermission\":\"produce:payments\"}",
        r.body());
    assertEquals(
        401,
        send(secured("POST", "/topics/payments/partitions/0/records", null, "x")).statusCode());
    assertEquals(before, payments.log().logEndOffset());

    // no replica here: the handler would look the leader up to redirect; the check comes first
    assertEquals(
        403,
        send(secured("POST", "/topics/orders/partitions/9/records", reader, "x")).statusCode());
    assertEquals(List.of(), topics.calls);
    assertEquals(
        404,
        send(secured("POST", "/topics/orders/partitions/9/records", writer, "x")).statusCode());
    assertEquals(List.of("locate orders-9"), topics.calls);
  }

  @Test
  void aRefusedUploadIsAnsweredWithoutReadingItsBody() throws Exception {
    PartitionReplica payments = leader("payments");
    long before = payments.log().logEndOffset();
    Path staging = payments.log().dir().resolve(PartitionLog.STAGING_DIR);
    // Expect: 100-continue: the node answers without asking for the body
    String continued =
        statusLineBeforeAnyBody("Authorization: Bearer " + reader + "\r\nExpect: 100-continue\r\n");
    assertEquals("HTTP/1.1 403 Forbidden", continued);
    // no Expect: the answer comes although none of the declared body was sent
    assertEquals("HTTP/1.1 401 Unauthorized", statusLineBeforeAnyBody(""));
    assertEquals(before, payments.log().logEndOffset());
    assertEquals(0, countFiles(staging), "nothing was staged");
  }

  @Test
  void authNoneIgnoresTheAuthorizationHeader() {
    HttpRequest.Builder bogus =
        plain("POST", "/topics/orders/partitions/0/records", "v")
            .header("Authorization", "Bearer sluice_not_a_token");
    assertEquals(200, send(bogus).statusCode());
    assertEquals(
        200,
        send(plain("GET", "/topics", null).header("Authorization", "Basic YTpi")).statusCode());
    assertEquals(
        200,
        send(plain("GET", "/topics/orders", null).header("Authorization", "Bearer")).statusCode());
  }

  /**
   * Sends a produce request's head declaring a 1 MB body, sends none of it, and reads the status
   * line of the answer.
   */
  private String statusLineBeforeAnyBody(String extraHeaders) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", secured.localAddress().getPort())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /topics/payments/partitions/0/records HTTP/1.1\r\nHost: x\r\n"
                  + "Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n"
                  + extraHeaders
                  + "\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
        line.write(b);
      }
      return line.toString(StandardCharsets.US_ASCII).strip();
    }
  }

  private boolean leads(String topic) {
    return node.replicas()
        .get(new PartitionId(topic, 0))
        .filter(PartitionReplica::isLeader)
        .isPresent();
  }

  private PartitionReplica leader(String topic) {
    return node.replicas().get(new PartitionId(topic, 0)).orElseThrow();
  }

  private HttpRequest.Builder secured(String method, String path, String token, String body) {
    HttpRequest.Builder b = request(secured.localAddress().getPort(), method, path, body);
    return token == null ? b : b.header("Authorization", "Bearer " + token);
  }

  private HttpRequest.Builder plain(String method, String path, String body) {
    return request(node.apiPort(), method, path, body);
  }

  private static HttpRequest.Builder request(int port, String method, String path, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", path.endsWith("records") ? "application/octet-stream" : JSON)
        .method(
            method,
            body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode readJson(String body) {
    try {
      return dev.sluice.api.ApiJson.mapper().readTree(body);
    } catch (java.io.IOException e) {
      throw new AssertionError(body, e);
    }
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse("");
  }

  private static long countFiles(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  private static void awaitCondition(BooleanSupplier condition, String what)
      throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(30);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(20); // polling interval of a condition wait, not a synchronisation guess
    }
  }

  /** Answers from a fixed topic list and records every call that reached it. */
  private static final class RecordingTopics implements TopicService {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    @Override
    public CompletionStage<TopicDescription> create(
        String name, int partitions, int rf, Map<String, String> config) {
      calls.add("create " + name);
      return CompletableFuture.completedFuture(
          new TopicDescription(name, partitions, rf, List.of()));
    }

    @Override
    public CompletionStage<TopicDeleted> delete(String name) {
      calls.add("delete " + name);
      return CompletableFuture.completedFuture(new TopicDeleted(name, "id", 1));
    }

    @Override
    public CompletionStage<TopicDescription> addPartitions(String name, int partitions) {
      calls.add("add-partitions " + name + " " + partitions);
      return CompletableFuture.completedFuture(
          new TopicDescription(name, partitions, 1, List.of()));
    }

    @Override
    public CompletionStage<TopicDescription> alterConfig(String name, Map<String, String> changes) {
      calls.add("alter " + name + " " + changes);
      return CompletableFuture.completedFuture(orders());
    }

    @Override
    public CompletionStage<LeaderMoves> rebalanceLeaders() {
      calls.add("rebalance");
      return CompletableFuture.completedFuture(new LeaderMoves(List.of()));
    }

    @Override
    public CompletionStage<List<TopicDescription>> list() {
      return CompletableFuture.completedFuture(List.of(orders()));
    }

    @Override
    public CompletionStage<TopicDescription> describe(String name) {
      return CompletableFuture.completedFuture(orders());
    }

    @Override
    public CompletionStage<PartitionLocation> locate(String topic, int partition) {
      calls.add("locate " + topic + "-" + partition);
      return CompletableFuture.failedFuture(
          new ApiException(404, "unknown partition " + topic + "-" + partition));
    }

    private static TopicDescription orders() {
      return new TopicDescription("orders", 1, 1, List.of());
    }
  }
}
