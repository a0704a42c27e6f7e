package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.format.Header;
import dev.sluice.log.RecordLocation;
import dev.sluice.log.testing.Conditions;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.protocol.PartitionId;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batched produce ({@code application/x-ndjson}) against a real single node: one request, one
 * batch, all or nothing, with the limits and error positions of the API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchedProduceTest {
  private static final long INLINE = 1024 * 1024;
  private static final String NDJSON = "application/x-ndjson";
  private static final Base64.Encoder B64 = Base64.getEncoder();

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
                    "sluice.storage.max-batch-bytes", "4MiB",
                    "sluice.storage.segment-bytes", "8MiB",
                    "sluice.api.inline-batch-bytes", Long.toString(INLINE))));
    createTopic("{\"name\":\"events\",\"partitions\":3}");
    createTopic("{\"name\":\"small\",\"partitions\":1,\"config\":{\"max-batch-bytes\":\"2KiB\"}}");
  }

  /**
   * Creates a topic, retrying while the fresh node does not yet count itself among the live nodes
   * (400 naming the replication factor); 409 means an earlier attempt got through.
   */
  private void createTopic(String json) {
    Conditions.await(
        () -> {
          int status = postJson("/topics", json).statusCode();
          return status == 201 || status == 409;
        },
        Duration.ofSeconds(30),
        "topic created: " + json);
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  /** A record as the test sends it and expects it back. */
  private record Sent(byte[] key, byte[] value, List<Header> headers) {}

  @Test
  void aThousandRecordsInOneRequestGetConsecutiveOffsetsInOneBatchAndReadBackEqual()
      throws Exception {
    Random random = new Random(909);
    List<Sent> sent = new ArrayList<>();
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      byte[] key = i % 7 == 0 ? null : bytes(random, i % 13);
      byte[] value = i % 11 == 0 ? null : bytes(random, random.nextInt(200));
      List<Header> headers =
          i % 3 == 0
              ? List.of()
              : List.of(
                  new Header("trace", bytes(random, 4)),
                  new Header("n-" + i % 5, i % 2 == 0 ? null : new byte[0]));
      sent.add(new Sent(key, value, headers));
      body.append(line(key, value, headers)).append('\n');
    }
    PartitionReplica replica = replica("events", 0);
    long before = replica.log().logEndOffset();

    HttpResponse<String> r = produce("events", 0, "?acks=leader", body.toString());

    assertEquals(200, r.statusCode(), r.body());
    JsonNode answer = ApiJson.mapper().readTree(r.body());
    assertEquals(List.of("offset", "lastOffset", "count"), fieldNames(answer));
    assertEquals(before, answer.get("offset").asLong());
    assertEquals(before + 999, answer.get("lastOffset").asLong());
    assertEquals(1000, answer.get("count").asInt());
    assertEquals(before + 1000, replica.log().logEndOffset());
    for (int i = 0; i < sent.size(); i++) {
      RecordLocation stored = replica.log().locate(before + i).orElseThrow();
      assertEquals(before, stored.batchBaseOffset(), "one batch for the request");
      Sent s = sent.get(i);
      assertArrayEquals(s.key(), stored.key(), "key of record " + i);
      assertArrayEquals(s.value(), stored.readValue(), "value of record " + i);
      assertEquals(s.headers().size(), stored.headers().size(), "headers of record " + i);
      for (int h = 0; h < s.headers().size(); h++) {
        assertEquals(s.headers().get(h).key(), stored.headers().get(h).key());
        assertArrayEquals(s.headers().get(h).value(), stored.headers().get(h).value());
      }
    }
    // and the HTTP read path serves them like any other record
    HttpResponse<byte[]> read = getBytes("/topics/events/partitions/0/records/" + (before + 1));
    assertEquals(200, read.statusCode());
    assertArrayEquals(sent.get(1).value(), read.body());
  }

  @ParameterizedTest(name = "acks={0}")
  @ValueSource(strings = {"all", "leader"})
  void eachAcksAnswersOnceItsConditionHolds(String acks) throws Exception {
    PartitionReplica replica = replica("events", 1);
    String body = line(null, new byte[] {1}, List.of()) + "\n" + line(null, null, List.of());
    HttpResponse<String> r = produce("events", 1, "?acks=" + acks, body);
    assertEquals(200, r.statusCode(), r.body());
    JsonNode answer = ApiJson.mapper().readTree(r.body());
    assertEquals(2, answer.get("count").asInt());
    long last = answer.get("lastOffset").asLong();
    assertEquals(answer.get("offset").asLong() + 1, last);
    if (acks.equals("all")) {
      assertTrue(replica.log().highWatermark() > last, "acks=all answers after the HW passed");
    }
  }

  @Test
  void anUnknownAcksValueIs400AndWritesNothing() throws Exception {
    long before = replica("events", 1).log().logEndOffset();
    HttpResponse<String> r = produce("events", 1, "?acks=some", "{}\n");
    assertEquals(400, r.statusCode(), r.body());
    assertEquals(before, replica("events", 1).log().logEndOffset());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bad JSON | {\"value\":\"AQ==\",} | bad JSON",
        "bad base64 | {\"value\":\"not base64!\"} | bad base64 in \"value\"",
        "unknown field | {\"value\":null,\"partition\":2} | unknown field \"partition\"",
        "header without key | {\"headers\":[{\"value\":null}]} | header 0 has no key",
      })
  void aMalformedThirdLineIs400NamingItsIndexAndPositionAndNothingIsAppended(
      String name, String bad, String reason) throws Exception {
    PartitionReplica replica = replica("events", 2);
    long before = replica.log().logEndOffset();
    String first = line(new byte[] {1}, new byte[] {2}, List.of());
    String second = line(null, new byte[] {3}, List.of(new Header("h", null)));
    String fourth = line(null, null, List.of());
    HttpResponse<String> r =
        produce("events", 2, "", first + "\n" + second + "\n" + bad + "\n" + fourth + "\n");

    assertEquals(400, r.statusCode(), r.body());
    JsonNode error = ApiJson.mapper().readTree(r.body());
    assertEquals(List.of("error", "recordIndex", "bytePosition"), fieldNames(error));
    assertEquals(2, error.get("recordIndex").asInt());
    assertEquals(first.length() + 1 + second.length() + 1, error.get("bytePosition").asLong());
    assertTrue(error.get("error").asText().contains(reason), r.body());
    assertTrue(error.get("error").asText().contains("nothing was written"), r.body());
    assertEquals(before, replica.log().logEndOffset());
  }

  @Test
  void anEmptyBodyIs400() throws Exception {
    HttpResponse<String> r = produce("events", 2, "", "");
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains("holds no record"), r.body());
  }

  @Test
  void aKeyHeaderWithAnNdjsonBodyIs400() throws Exception {
    HttpResponse<String> r =
        http.send(
            request("events", 2, "")
                .header("X-Sluice-Key", "k")
                .POST(BodyPublishers.ofString("{}\n"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains("carry their own keys"), r.body());
  }

  @Test
  void aBodyOverInlineBatchBytesIs413WithTheLimitDeclaredOrChunked() throws Exception {
    PartitionReplica replica = replica("events", 0);
    long before = replica.log().logEndOffset();
    String record = line(null, new byte[600], List.of()) + "\n";
    int lines = (int) (INLINE / record.length()) + 1;
    String body = record.repeat(lines);
    assertTrue(body.length() > INLINE);

    HttpResponse<String> declared = produce("events", 0, "", body);
    assertTooLarge(declared);
    assertTrue(
        declared.body().contains("body of " + body.length() + " bytes is larger than"),
        declared.body());

    // Without a declared length the body is counted and cut off once it passes the limit.
    byte[] chunk = record.getBytes(StandardCharsets.US_ASCII);
    BodyPublisher chunked =
        BodyPublishers.ofInputStream(
            () ->
                new SequenceInputStream(
                    Collections.enumeration(
                        Stream.generate(() -> (InputStream) new ByteArrayInputStream(chunk))
                            .limit(lines)
                            .toList())));
    HttpResponse<String> counted =
        http.send(
            request("events", 0, "").POST(chunked).build(), HttpResponse.BodyHandlers.ofString());
    assertTooLarge(counted);
    assertEquals(before, replica.log().logEndOffset());
  }

  @Test
  void aBatchOverTheTopicsMaxBatchBytesIs413NamingTheRecordAndTheLimit() throws Exception {
    PartitionReplica replica = replica("small", 0);
    long before = replica.log().logEndOffset();
    String record = line(null, new byte[500], List.of());
    HttpResponse<String> r =
        produce("small", 0, "", String.join("\n", record, record, record, record, record));
    assertEquals(413, r.statusCode(), r.body());
    JsonNode error = ApiJson.mapper().readTree(r.body());
    assertEquals(2048, error.get("maxBatchBytes").asLong());
    // a 61-byte header and 3 records of 509 bytes (500 value bytes) fit 2048; a fourth does not
    assertEquals(3, error.get("recordIndex").asInt());
    assertEquals(3L * (record.length() + 1), error.get("bytePosition").asLong());
    assertTrue(
        error.get("error").asText().contains("the topic's max-batch-bytes = 2048"), r.body());
    assertEquals(before, replica.log().logEndOffset());
  }

  @Test
  void aSingleRecordProduceStillWorksAndAnswersItsCountToo() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri("/topics/events/partitions/1/records"))
                .header("Content-Type", "application/octet-stream")
                .POST(BodyPublishers.ofString("one value"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    JsonNode answer = ApiJson.mapper().readTree(r.body());
    assertEquals(answer.get("offset").asLong(), answer.get("lastOffset").asLong());
    assertEquals(1, answer.get("count").asInt());
    RecordLocation stored =
        replica("events", 1).log().locate(answer.get("offset").asLong()).orElseThrow();
    assertNull(stored.key());
    assertArrayEquals("one value".getBytes(StandardCharsets.UTF_8), stored.readValue());
  }

  private static void assertTooLarge(HttpResponse<String> r) throws Exception {
    assertEquals(413, r.statusCode(), r.body());
    JsonNode error = ApiJson.mapper().readTree(r.body());
    assertEquals(List.of("error", "inlineBatchBytes"), fieldNames(error));
    assertEquals(INLINE, error.get("inlineBatchBytes").asLong());
    assertTrue(
        error.get("error").asText().contains("sluice.api.inline-batch-bytes = " + INLINE),
        r.body());
  }

  static String line(byte[] key, byte[] value, List<Header> headers) {
    StringBuilder json = new StringBuilder("{");
    if (key != null || value != null || !headers.isEmpty()) {
      json.append("\"key\":").append(b64(key)).append(",\"value\":").append(b64(value));
      if (!headers.isEmpty()) {
        json.append(",\"headers\":[");
        for (int i = 0; i < headers.size(); i++) {
          Header h = headers.get(i);
          json.append(i == 0 ? "" : ",")
              .append("{\"key\":\"")
              .append(h.key())
              .append("\",\"value\":")
              .append(b64(h.value()))
              .append('}');
        }
        json.append(']');
      }
    }
    return json.append('}').toString();
  }

  private static String b64(byte[] bytes) {
    return bytes == null ? "null" : "\"" + B64.encodeToString(bytes) + "\"";
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static List<String> fieldNames(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private PartitionReplica replica(String topic, int partition) {
    return node.replicas().get(new PartitionId(topic, partition)).orElseThrow();
  }

  private HttpRequest.Builder request(String topic, int partition, String query) {
    return HttpRequest.newBuilder(
            uri("/topics/" + topic + "/partitions/" + partition + "/records" + query))
        .header("Content-Type", NDJSON)
        .timeout(Duration.ofSeconds(30));
  }

  private HttpResponse<String> produce(String topic, int partition, String query, String body)
      throws Exception {
    return http.send(
        request(topic, partition, query).POST(BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.apiPort() + path);
  }

  private HttpResponse<String> postJson(String path, String json) {
    try {
      return http.send(
          HttpRequest.newBuilder(uri(path))
              .header("Content-Type", "application/json")
              .POST(BodyPublishers.ofString(json))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private HttpResponse<byte[]> getBytes(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
