package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.format.BatchLayout;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.Conditions;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.protocol.PartitionId;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The client API of a real single node on free ports. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientApiTest {
  private static final long MAX_BATCH = 4L * 1024 * 1024;

  @TempDir static Path dir;
  private SluiceNode node;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  void startNode() {
    node =
        SluiceNode.start(
            TestNodes.singleNode(
                dir,
                Map.of(
                    "sluice.storage.max-batch-bytes",
                    Long.toString(MAX_BATCH),
                    "sluice.storage.segment-bytes",
                    "8MiB")));
    HttpResponse<String> created = post("/topics", "{\"name\":\"orders\",\"partitions\":2}");
    assertEquals(201, created.statusCode(), created.body());
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  @Test
  void createListAndDescribe() throws Exception {
    assertEquals(409, post("/topics", "{\"name\":\"orders\",\"partitions\":2}").statusCode());
    HttpResponse<String> list = get("/topics");
    assertEquals(200, list.statusCode());
    assertTrue(list.body().contains("\"name\":\"orders\""), list.body());

    assertEquals("application/json", list.headers().firstValue("Content-Type").orElseThrow());
    assertEquals(List.of("topics"), fieldNames(ApiJson.mapper().readTree(list.body())));

    // The replica's state is "unknown" until the partition's leader has reported it once.
    Conditions.await(
        () -> firstReplicaState(get("/topics/orders")).equals("leading"),
        Duration.ofSeconds(30),
        "orders-0 reported leading");
    HttpResponse<String> described = get("/topics/orders");
    assertEquals("application/json", described.headers().firstValue("Content-Type").orElseThrow());
    JsonNode topic = json(described);
    assertEquals(
        List.of("name", "partitionCount", "replicationFactor", "partitions", "topicId", "config"),
        fieldNames(topic));
    assertEquals(2, topic.get("partitionCount").asInt());
    assertEquals(1, topic.get("replicationFactor").asInt());
    JsonNode partition = topic.get("partitions").get(0);
    assertEquals(
        List.of("partition", "leader", "leaderEpoch", "inSync", "replicas", "preferredLeader"),
        fieldNames(partition));
    JsonNode replica = partition.get("replicas").get(0);
    assertEquals(
        List.of(
            "node",
            "role",
            "leo",
            "hw",
            "state",
            "lagBytes",
            "lastError",
            "backoffMillis",
            "stalled",
            "stallCount"),
        fieldNames(replica));
    assertEquals(1, replica.get("node").asInt());
    assertEquals("leader", replica.get("role").asText());
    assertEquals("leading", replica.get("state").asText());
    assertEquals(0, replica.get("lagBytes").asLong());
    assertEquals(404, get("/topics/nope").statusCode());
  }

  @Test
  void invalidTopicsAreRefusedWithAReason() {
    assertBadRequest(post("/topics", "{\"name\":\"bad name!\",\"partitions\":1}"), "bad name!");
    assertBadRequest(post("/topics", "{\"name\":\"zero\",\"partitions\":0}"), "partitions");
    assertBadRequest(post("/topics", "{\"partitions\":1}"), "name");
    assertBadRequest(post("/topics", "not json"), "not valid JSON");
    HttpResponse<String> rf3 =
        post("/topics", "{\"name\":\"wide\",\"partitions\":1,\"replicationFactor\":3}");
    assertBadRequest(rf3, "3");
  }

  @Test
  void produceThenConsumeByOffsetWithKey() throws Exception {
    long first = produce("orders", 0, "hello".getBytes(StandardCharsets.UTF_8), "k1");
    long second = produce("orders", 0, new byte[0], null);
    assertEquals(first + 1, second);
    HttpResponse<byte[]> read = getBytes("/topics/orders/partitions/0/records/" + first);
    assertEquals(200, read.statusCode());
    assertEquals("hello", new String(read.body(), StandardCharsets.UTF_8));
    assertEquals("k1", read.headers().firstValue("X-Sluice-Key").orElseThrow());
    assertEquals(
        "application/octet-stream", read.headers().firstValue("Content-Type").orElseThrow());
    assertEquals(Long.toString(first), read.headers().firstValue("X-Sluice-Offset").orElseThrow());
    assertTrue(read.headers().firstValue("X-Sluice-High-Watermark").isPresent(), "hw header");
    HttpResponse<byte[]> empty = getBytes("/topics/orders/partitions/0/records/" + second);
    assertEquals(200, empty.statusCode(), new String(empty.body(), StandardCharsets.UTF_8));
    assertEquals(0, empty.body().length);
  }

  @Test
  void largeValueRoundTripsByteForByte() throws Exception {
    byte[] value = new byte[3 * 1024 * 1024];
    new Random(7).nextBytes(value);
    long offset = produce("orders", 1, value, null);
    HttpResponse<byte[]> read = getBytes("/topics/orders/partitions/1/records/" + offset);
    assertArrayEquals(value, read.body());
  }

  @Test
  void valueOverTheBatchLimitIs413WithTheLimitAndLeavesTheLogAlone() throws Exception {
    long before = leader("orders", 1).log().logEndOffset();
    HttpResponse<String> declared =
        http.send(
            HttpRequest.newBuilder(uri("/topics/orders/partitions/1/records"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[(int) MAX_BATCH]))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(413, declared.statusCode(), declared.body());
    assertTrue(declared.body().contains("sluice.storage.max-batch-bytes = " + MAX_BATCH));
    JsonNode limits = ApiJson.mapper().readTree(declared.body());
    assertEquals(List.of("error", "maxBatchBytes", "maxValueBytes"), fieldNames(limits));
    assertEquals(MAX_BATCH, limits.get("maxBatchBytes").asLong());

    // A chunked body (no declared length) is cut off once it passes the limit.
    byte[] chunk = new byte[64 * 1024];
    HttpResponse<String> chunked =
        http.send(
            HttpRequest.newBuilder(uri("/topics/orders/partitions/1/records"))
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () ->
                            new java.io.SequenceInputStream(
                                java.util.Collections.enumeration(
                                    Stream.generate(() -> new java.io.ByteArrayInputStream(chunk))
                                        .limit(MAX_BATCH / chunk.length + 2)
                                        .toList()))))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(413, chunked.statusCode(), chunked.body());
    assertEquals(before, leader("orders", 1).log().logEndOffset());
  }

  @Test
  void unknownTopicOrPartitionIs404AndUnreadableOffsetIs416() throws Exception {
    assertEquals(
        404,
        http.send(
                HttpRequest.newBuilder(uri("/topics/nope/partitions/0/records"))
                    .POST(HttpRequest.BodyPublishers.ofString("x"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .statusCode());
    assertEquals(
        404,
        http.send(
                HttpRequest.newBuilder(uri("/topics/orders/partitions/9/records"))
                    .POST(HttpRequest.BodyPublishers.ofString("x"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .statusCode());
    HttpResponse<String> beyond = get("/topics/orders/partitions/0/records/1000000");
    assertEquals(416, beyond.statusCode());
    JsonNode body = ApiJson.mapper().readTree(beyond.body());
    assertTrue(body.get("error").asText().contains("out of range"), beyond.body());
    assertEquals(List.of("error", "logStartOffset", "highWatermark"), fieldNames(body));
  }

  @Test
  void batchEndpointAnswersWholeBatchesAndTheNextOffset() throws Exception {
    long a = produce("orders", 0, "a".getBytes(StandardCharsets.UTF_8), null);
    produce("orders", 0, "b".getBytes(StandardCharsets.UTF_8), null);
    HttpResponse<byte[]> batches =
        getBytes("/topics/orders/partitions/0/records?offset=" + a + "&maxBytes=1");
    assertEquals(200, batches.statusCode());
    // maxBytes=1 still returns one whole batch (never a partial one)
    long next = Long.parseLong(batches.headers().firstValue("X-Sluice-Next-Offset").orElseThrow());
    assertEquals(a + 1, next);
    assertTrue(batches.headers().firstValue("X-Sluice-High-Watermark").isPresent(), "hw header");
    assertEquals("0", batches.headers().firstValue("X-Sluice-Log-Start-Offset").orElseThrow());
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(batches.body());
    assertEquals(a, buf.getLong(0));
    assertEquals(
        batches.body().length,
        BatchLayout.LOG_OVERHEAD + buf.getInt(BatchLayout.BATCH_LENGTH_OFFSET));
    assertEquals(BatchLayout.MAGIC, buf.get(BatchLayout.MAGIC_OFFSET), "Kafka's RecordBatch v2");
  }

  @Test
  void aClientThatDisconnectsMidUploadLeavesNothingBehind() throws Exception {
    PartitionReplica replica = leader("orders", 1);
    long before = replica.log().logEndOffset();
    try (Socket socket = new Socket("127.0.0.1", node.apiPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /topics/orders/partitions/1/records HTTP/1.1\r\nHost: x\r\n"
                  + "Content-Type: application/octet-stream\r\nContent-Length: 2000000\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[500_000]);
      out.flush();
      Path staging = replica.log().dir().resolve(PartitionLog.STAGING_DIR);
      awaitCondition(() -> countFiles(staging) > 0, "upload staged");
    }
    Path staging = replica.log().dir().resolve(PartitionLog.STAGING_DIR);
    awaitCondition(() -> countFiles(staging) == 0, "staging file removed after disconnect");
    assertEquals(before, replica.log().logEndOffset());
  }

  private static List<String> fieldNames(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static long countFiles(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    } catch (java.io.IOException e) {
      return 0;
    }
  }

  private static void awaitCondition(BooleanSupplier condition, String what)
      throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(20);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.onSpinWait();
      Thread.sleep(20); // polling interval of a condition wait, not a synchronisation guess
    }
  }

  private PartitionReplica leader(String topic, int partition) {
    return node.replicas().get(new PartitionId(topic, partition)).orElseThrow();
  }

  private long produce(String topic, int partition, byte[] value, String key) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri("/topics/" + topic + "/partitions/" + partition + "/records"))
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(value));
    if (key != null) {
      b.header("X-Sluice-Key", key);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = ApiJson.mapper().readTree(r.body());
    assertEquals(List.of("offset", "lastOffset", "count"), fieldNames(body), r.body());
    assertEquals(body.get("offset").asLong(), body.get("lastOffset").asLong());
    assertEquals(1, body.get("count").asInt());
    return body.get("offset").asLong();
  }

  private static void assertBadRequest(HttpResponse<String> r, String mentions) {
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains(mentions), r.body());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.apiPort() + path);
  }

  private HttpResponse<String> post(String path, String json) {
    try {
      return http.send(
          HttpRequest.newBuilder(uri(path))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(json))
              .timeout(Duration.ofSeconds(30))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private HttpResponse<String> get(String path) {
    try {
      return http.send(
          HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private HttpResponse<byte[]> getBytes(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String firstReplicaState(HttpResponse<String> described) {
    try {
      return json(described).get("partitions").get(0).get("replicas").get(0).get("state").asText();
    } catch (Exception e) {
      throw new IllegalStateException(described.body(), e);
    }
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    return ApiJson.mapper().readTree(r.body());
  }
}
