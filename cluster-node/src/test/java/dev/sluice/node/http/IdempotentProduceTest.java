package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.api.ErrorBody;
import dev.sluice.api.MediaTypes;
import dev.sluice.api.Paths;
import dev.sluice.api.ProducerIdResponse;
import dev.sluice.format.Compression;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.log.producer.ProducerError;
import dev.sluice.log.testing.Conditions;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.protocol.PartitionId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idempotent produce end to end on a real single node: a producer id from {@code POST /producers},
 * batches stamped with it and a sequence, a retried batch answered with the original offsets and
 * {@code "duplicate": true} and written once, and batches that break the sequence rules answered
 * with 409 naming the rule, the producer id and the expected sequence, with nothing written. Each
 * test uses a partition of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IdempotentProduceTest {
  private static final String TOPIC = "idempotent";

  @TempDir static Path dir;
  private SluiceNode node;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  void startNode() {
    node = SluiceNode.start(TestNodes.singleNode(dir, Map.of()));
    String json = "{\"name\":\"" + TOPIC + "\",\"partitions\":4}";
    Conditions.await(
        () -> {
          int status =
              post("/" + Paths.TOPICS, "application/json", json.getBytes(StandardCharsets.UTF_8))
                  .statusCode();
          return status == 201 || status == 409;
        },
        Duration.ofSeconds(30),
        "topic created: " + json);
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  @Test
  void aRetriedBatchIsAnsweredWithTheOriginalOffsetsAndWrittenOnce() throws Exception {
    long producer = newProducer();
    PartitionReplica replica = replica(0);
    byte[] first = batch(producer, 0, 3);

    JsonNode written = json(produce(0, "?acks=all", first), 200);
    long offset = written.get("offset").asLong();
    assertEquals(offset + 2, written.get("lastOffset").asLong());
    assertFalse(written.has("duplicate"), written.toString());
    long end = replica.log().logEndOffset();

    for (String acks : List.of("?acks=all", "?acks=leader")) {
      JsonNode retry = json(produce(0, acks, first), 200);
      assertTrue(retry.path("duplicate").asBoolean(), retry.toString());
      assertEquals(offset, retry.get("offset").asLong(), retry.toString());
      assertEquals(offset + 2, retry.get("lastOffset").asLong(), retry.toString());
      assertEquals(3, retry.get("count").asInt(), retry.toString());
      assertEquals(end, replica.log().logEndOffset(), "a retry writes nothing");
    }

    JsonNode next = json(produce(0, "?acks=all", batch(producer, 3, 2)), 200);
    assertEquals(end, next.get("offset").asLong());
    assertFalse(next.has("duplicate"), next.toString());
    // An older batch than the last one is still remembered (the last five are).
    assertTrue(json(produce(0, "?acks=all", first), 200).path("duplicate").asBoolean());

    // Only this test sends retries: three of them.
    String metrics = scrapeMetrics();
    assertTrue(
        metrics
            .lines()
            .anyMatch(
                line ->
                    line.startsWith("sluice_produce_duplicates_total{")
                        && line.contains("topic=\"" + TOPIC + "\"")
                        && line.endsWith(" 3.0")),
        metrics);
  }

  @Test
  void aSequenceGapIs409OutOfOrderWithTheExpectedSequenceAndNothingIsWritten() throws Exception {
    long producer = newProducer();
    PartitionReplica replica = replica(1);
    json(produce(1, "?acks=all", batch(producer, 0, 4)), 200);
    long end = replica.log().logEndOffset();

    JsonNode gap = json(produce(1, "?acks=all", batch(producer, 6, 1)), 409);

    assertEquals(ProducerError.OUT_OF_ORDER_SEQUENCE.name(), gap.get(ErrorBody.CODE).asText());
    assertEquals(producer, gap.get(ErrorBody.PRODUCER_ID).asLong(), gap.toString());
    assertEquals(4, gap.get(ErrorBody.EXPECTED_SEQUENCE).asInt(), gap.toString());
    assertTrue(gap.get(ErrorBody.ERROR).asText().contains(Long.toString(producer)), gap.toString());
    assertEquals(end, replica.log().logEndOffset());

    // The expected sequence is accepted.
    assertEquals(
        end, json(produce(1, "?acks=all", batch(producer, 4, 1)), 200).get("offset").asLong());
  }

  @Test
  void anUnknownProducerNotStartingAtZeroIs409UnknownProducerId() throws Exception {
    long producer = newProducer();
    long end = replica(2).log().logEndOffset();

    JsonNode unknown = json(produce(2, "", batch(producer, 7, 1)), 409);

    assertEquals(ProducerError.UNKNOWN_PRODUCER_ID.name(), unknown.get(ErrorBody.CODE).asText());
    assertEquals(producer, unknown.get(ErrorBody.PRODUCER_ID).asLong(), unknown.toString());
    assertEquals(end, replica(2).log().logEndOffset());
  }

  @Test
  void producersGetDistinctIdsAndKeepSeparateSequences() throws Exception {
    long a = newProducer();
    long b = newProducer();
    assertTrue(a != b, a + " given twice");

    JsonNode fromA = json(produce(3, "?acks=all", batch(a, 0, 1)), 200);
    JsonNode fromB = json(produce(3, "?acks=all", batch(b, 0, 1)), 200);

    assertFalse(fromB.has("duplicate"), "same sequence, another producer: " + fromB);
    assertEquals(fromA.get("offset").asLong() + 1, fromB.get("offset").asLong());
  }

  @Test
  void aBatchThatOvertookAnEarlierOneOfItsProducerWaitsForItInsteadOf409() throws Exception {
    long producer = newProducer();
    PartitionReplica replica = replica(2);
    long start = replica.log().logEndOffset();
    byte[] early = batch(producer, 3, 2);
    double before = bytesIn();

    CompletableFuture<HttpResponse<String>> second =
        CompletableFuture.supplyAsync(() -> produce(2, "?acks=all", early));
    // Its body was read: the leader refuses it (sequence 3, expected 0) until the first comes.
    Conditions.await(
        () -> bytesIn() >= before + early.length,
        Duration.ofSeconds(30),
        "the batch from sequence 3 received by the leader");
    JsonNode first = json(produce(2, "?acks=all", batch(producer, 0, 3)), 200);

    assertEquals(start, first.get("offset").asLong(), first.toString());
    JsonNode overtaking = json(second.get(60, TimeUnit.SECONDS), 200);
    assertEquals(start + 3, overtaking.get("offset").asLong(), overtaking.toString());
    assertEquals(start + 5, replica.log().logEndOffset());
  }

  // ---- helpers ----

  /** A batch of {@code count} records of {@code producer} (epoch 0) from {@code baseSequence}. */
  private static byte[] batch(long producer, int baseSequence, int count) {
    List<Record> records = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      records.add(
          Record.of(
              null, ("record " + (baseSequence + i)).getBytes(StandardCharsets.UTF_8), 1_000L + i));
    }
    ByteBuffer b =
        MemoryBatchBuilder.build(records, Compression.NONE, producer, (short) 0, baseSequence);
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    return bytes;
  }

  private long newProducer() throws Exception {
    HttpResponse<String> r = post("/" + Paths.producers(), "application/json", new byte[0]);
    assertEquals(200, r.statusCode(), r.body());
    ProducerIdResponse id = ApiJson.mapper().readValue(r.body(), ProducerIdResponse.class);
    assertEquals(0, id.producerEpoch());
    return id.producerId();
  }

  private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    return ApiJson.mapper().readTree(r.body());
  }

  private PartitionReplica replica(int partition) {
    return node.replicas().get(new PartitionId(TOPIC, partition)).orElseThrow();
  }

  private HttpResponse<String> produce(int partition, String query, byte[] batch) {
    return post(
        "/"
            + Paths.TOPICS
            + "/"
            + TOPIC
            + "/"
            + Paths.PARTITIONS
            + "/"
            + partition
            + "/"
            + Paths.RECORDS
            + query,
        MediaTypes.RECORD_BATCH_V2,
        batch);
  }

  /** The topic's {@code sluice.bytes.in}: counted when a body was read, before the append. */
  private double bytesIn() {
    String metrics;
    try {
      metrics = scrapeMetrics();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return metrics
        .lines()
        .filter(
            l -> l.startsWith("sluice_bytes_in_total{") && l.contains("topic=\"" + TOPIC + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private String scrapeMetrics() throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + node.address().managementPort() + "/metrics");
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  private HttpResponse<String> post(String path, String type, byte[] body) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiPort() + path))
              .header("Content-Type", type)
              .timeout(Duration.ofSeconds(60))
              .POST(BodyPublishers.ofByteArray(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
