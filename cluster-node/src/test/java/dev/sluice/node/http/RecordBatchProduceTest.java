package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.api.MediaTypes;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.Compression;
import dev.sluice.format.Header;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.log.RecordLocation;
import dev.sluice.log.testing.Conditions;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.protocol.PartitionId;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Produce of a producer-built RecordBatch v2 ({@code application/vnd.sluice.record-batch.v2})
 * against a real single node: stored as sent and read back equal, Kafka's own builder accepted,
 * batches of an idempotent producer accepted, corrupt or unsupported batches and oversized bodies
 * refused with nothing appended.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RecordBatchProduceTest {
  private static final long INLINE = 1024 * 1024;

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
    createTopic("{\"name\":\"batches\",\"partitions\":2}");
    createTopic("{\"name\":\"tiny\",\"partitions\":1,\"config\":{\"max-batch-bytes\":\"2KiB\"}}");
  }

  /** Creates a topic, retrying while the fresh node does not count itself live yet. */
  private void createTopic(String json) {
    Conditions.await(
        () -> {
          int status = post("/topics", "application/json", json.getBytes()).statusCode();
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
  void aThousandRecordBatchIsStoredAsSentAndReadsBackEqual() throws Exception {
    Random random = new Random(2026);
    long now = System.currentTimeMillis();
    List<Record> records = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      byte[] key = i % 7 == 0 ? null : bytes(random, i % 13);
      byte[] value = i % 11 == 0 ? null : bytes(random, random.nextInt(200));
      List<Header> headers =
          i % 3 == 0
              ? List.of()
              : List.of(
                  new Header("trace", bytes(random, 4)),
                  new Header("n-" + i % 5, i % 2 == 0 ? null : new byte[0]));
      records.add(new Record(key, value, headers, now - 1000 + i));
    }
    byte[] batch = bytes(MemoryBatchBuilder.build(records, Compression.NONE));
    PartitionReplica replica = replica("batches", 0);
    long before = replica.log().logEndOffset();

    HttpResponse<String> r = produce("batches", 0, "?acks=all", batch);

    assertEquals(200, r.statusCode(), r.body());
    JsonNode answer = ApiJson.mapper().readTree(r.body());
    assertEquals(before, answer.get("offset").asLong());
    assertEquals(before + 999, answer.get("lastOffset").asLong());
    assertEquals(1000, answer.get("count").asInt());
    assertEquals(before + 1000, replica.log().logEndOffset());
    for (int i = 0; i < records.size(); i++) {
      RecordLocation stored = replica.log().locate(before + i).orElseThrow();
      assertEquals(before, stored.batchBaseOffset(), "one batch for the request");
      Record sent = records.get(i);
      assertArrayEquals(sent.key(), stored.key(), "key of record " + i);
      assertArrayEquals(sent.value(), stored.readValue(), "value of record " + i);
      assertEquals(sent.headers(), stored.headers(), "headers of record " + i);
      assertEquals(sent.timestamp(), stored.timestamp(), "timestamp of record " + i);
    }
  }

  @Test
  void aBatchBuiltByKafkaClientsIsAccepted() throws Exception {
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(1024),
            (byte) 2,
            org.apache.kafka.common.compress.Compression.NONE,
            TimestampType.CREATE_TIME,
            4711L, // a producer's base offset is anything; the leader sets it
            -1L,
            -1L,
            (short) -1,
            -1,
            false,
            -1);
    long now = System.currentTimeMillis();
    builder.append(now, "k".getBytes(), "first".getBytes());
    builder.append(
        now + 1,
        null,
        "second".getBytes(),
        new org.apache.kafka.common.header.Header[] {new RecordHeader("h", new byte[] {7})});
    byte[] batch = bytes(builder.build().buffer());
    PartitionReplica replica = replica("batches", 1);
    long before = replica.log().logEndOffset();

    HttpResponse<String> r = produce("batches", 1, "?acks=leader", batch);

    assertEquals(200, r.statusCode(), r.body());
    assertEquals(2, ApiJson.mapper().readTree(r.body()).get("count").asInt());
    RecordLocation second = replica.log().locate(before + 1).orElseThrow();
    assertArrayEquals("second".getBytes(), second.readValue());
    assertEquals(List.of(new Header("h", new byte[] {7})), second.headers());
    assertEquals(now + 1, second.timestamp());
  }

  @Test
  void aFlippedByteIs400NamingItsPositionAndNothingIsAppended() throws Exception {
    List<Record> records = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      records.add(Record.of(null, new byte[] {(byte) i, 1, 2, 3}, 1_000L + i));
    }
    byte[] batch = bytes(MemoryBatchBuilder.build(records, Compression.NONE));
    batch[batch.length - 2] ^= 0x40; // inside the last record's value: only the CRC can tell
    PartitionReplica replica = replica("batches", 0);
    long before = replica.log().logEndOffset();

    HttpResponse<String> r = produce("batches", 0, "", batch);

    assertEquals(400, r.statusCode(), r.body());
    JsonNode error = ApiJson.mapper().readTree(r.body());
    assertTrue(error.get("error").asText().contains("CRC"), r.body());
    assertTrue(error.get("error").asText().contains("nothing was written"), r.body());
    assertEquals(-1, error.get("recordIndex").asInt(), r.body());
    assertEquals(BatchLayout.CRC_OFFSET, error.get("bytePosition").asLong(), r.body());
    assertEquals(before, replica.log().logEndOffset());

    // A broken offset delta is named by its record and byte, found as the body streams in.
    byte[] shuffled = bytes(MemoryBatchBuilder.build(records, Compression.NONE));
    int third = recordStart(shuffled, 2);
    HttpResponse<String> delta = produce("batches", 0, "", withOffsetDelta(shuffled, third, 5));
    assertEquals(400, delta.statusCode(), delta.body());
    JsonNode deltaError = ApiJson.mapper().readTree(delta.body());
    assertEquals(2, deltaError.get("recordIndex").asInt(), delta.body());
    assertTrue(deltaError.get("bytePosition").asLong() >= third, delta.body());
    assertTrue(deltaError.get("error").asText().contains("offset delta"), delta.body());
    assertEquals(before, replica.log().logEndOffset());
  }

  @Test
  void aBatchOfAnIdempotentProducerIsAccepted() throws Exception {
    byte[] batch =
        bytes(
            MemoryBatchBuilder.build(
                List.of(Record.of(null, new byte[] {1}, 1_000L), Record.of(null, null, 1_001L)),
                Compression.NONE,
                42L,
                (short) 0,
                0));
    PartitionReplica replica = replica("batches", 1);
    long before = replica.log().logEndOffset();

    HttpResponse<String> r = produce("batches", 1, "?acks=all", batch);

    assertEquals(200, r.statusCode(), r.body());
    JsonNode answer = ApiJson.mapper().readTree(r.body());
    assertEquals(before, answer.get("offset").asLong());
    assertEquals(before + 1, answer.get("lastOffset").asLong());
    assertEquals(2, answer.get("count").asInt());
    assertTrue(answer.get("duplicate") == null, "a batch written now is no duplicate: " + r.body());
    assertEquals(before + 2, replica.log().logEndOffset());
    assertArrayEquals(new byte[] {1}, replica.log().locate(before).orElseThrow().readValue());
  }

  @Test
  void aSequenceWithoutAProducerIdIs400NamingTheFieldAndNothingIsAppended() throws Exception {
    byte[] sequence =
        bytes(
            MemoryBatchBuilder.build(
                List.of(Record.of(null, new byte[] {1}, 1_000L)),
                Compression.NONE,
                BatchLayout.NO_PRODUCER_ID,
                BatchLayout.NO_PRODUCER_EPOCH,
                5));
    byte[] epoch =
        bytes(
            MemoryBatchBuilder.build(
                List.of(Record.of(null, new byte[] {1}, 1_000L)),
                Compression.NONE,
                BatchLayout.NO_PRODUCER_ID,
                (short) 0,
                BatchLayout.NO_SEQUENCE));
    long before = replica("batches", 1).log().logEndOffset();

    HttpResponse<String> r = produce("batches", 1, "", sequence);
    assertEquals(400, r.statusCode(), r.body());
    JsonNode error = ApiJson.mapper().readTree(r.body());
    assertTrue(error.get("error").asText().contains("baseSequence"), r.body());
    assertTrue(error.get("error").asText().contains("is 5"), r.body());
    assertEquals(BatchLayout.BASE_SEQUENCE_OFFSET, error.get("bytePosition").asLong());

    HttpResponse<String> e = produce("batches", 1, "", epoch);
    assertEquals(400, e.statusCode(), e.body());
    JsonNode epochError = ApiJson.mapper().readTree(e.body());
    assertTrue(epochError.get("error").asText().contains("producerEpoch"), e.body());
    assertEquals(BatchLayout.PRODUCER_EPOCH_OFFSET, epochError.get("bytePosition").asLong());
    assertEquals(before, replica("batches", 1).log().logEndOffset());
  }

  @Test
  void aBatchOverTheTopicsMaxBatchBytesIs413NamingTheLimit() throws Exception {
    byte[] batch =
        bytes(
            MemoryBatchBuilder.build(
                List.of(Record.of(null, new byte[3000], 1_000L)), Compression.NONE));
    long before = replica("tiny", 0).log().logEndOffset();

    HttpResponse<String> r = produce("tiny", 0, "", batch);

    assertEquals(413, r.statusCode(), r.body());
    JsonNode error = ApiJson.mapper().readTree(r.body());
    assertEquals(2048, error.get("maxBatchBytes").asLong());
    assertTrue(
        error.get("error").asText().contains("the topic's max-batch-bytes = 2048"), r.body());
    assertEquals(before, replica("tiny", 0).log().logEndOffset());

    // Chunked, without a declared length: refused from the batch's own length field.
    HttpResponse<String> chunked = produceChunked("tiny", 0, batch);
    assertEquals(413, chunked.statusCode(), chunked.body());
    assertTrue(chunked.body().contains("batch length announces " + batch.length), chunked.body());
    assertEquals(before, replica("tiny", 0).log().logEndOffset());
  }

  @Test
  void aBodyOverInlineBatchBytesIs413NamingTheSetting() throws Exception {
    byte[] batch =
        bytes(
            MemoryBatchBuilder.build(
                List.of(Record.of(null, new byte[(int) INLINE], 1_000L)), Compression.NONE));
    long before = replica("batches", 0).log().logEndOffset();
    for (HttpResponse<String> r :
        List.of(produce("batches", 0, "", batch), produceChunked("batches", 0, batch))) {
      assertEquals(413, r.statusCode(), r.body());
      JsonNode error = ApiJson.mapper().readTree(r.body());
      assertEquals(INLINE, error.get("inlineBatchBytes").asLong(), r.body());
      assertTrue(
          error.get("error").asText().contains("sluice.api.inline-batch-bytes = " + INLINE),
          r.body());
    }
    assertEquals(before, replica("batches", 0).log().logEndOffset());
  }

  @Test
  void aKeyHeaderIs400() throws Exception {
    byte[] batch =
        bytes(MemoryBatchBuilder.build(List.of(Record.of(null, null, 1L)), Compression.NONE));
    HttpResponse<String> r =
        http.send(
            request("batches", 0, "")
                .header("X-Sluice-Key", "k")
                .POST(BodyPublishers.ofByteArray(batch))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains("carry their own keys"), r.body());
  }

  /** Where record {@code index} starts in an uncompressed batch (its length varint). */
  private static int recordStart(byte[] batch, int index) {
    int pos = BatchLayout.RECORDS_OFFSET;
    for (int i = 0; i < index; i++) {
      long[] length = readVarint(batch, pos);
      pos = (int) length[1] + (int) length[0];
    }
    return pos;
  }

  /**
   * The batch with the offset delta of the record at {@code start} set to {@code delta} (a one-byte
   * varint before and after) and its CRC recomputed, so only the record check can tell.
   */
  private static byte[] withOffsetDelta(byte[] batch, int start, int delta) {
    byte[] copy = batch.clone();
    int bodyStart = (int) readVarint(copy, start)[1];
    // body: attributes (1 byte), timestamp delta (varint), offset delta (varint)
    int tsEnd = (int) readVarint(copy, bodyStart + 1)[1];
    copy[tsEnd] = (byte) (delta << 1); // zig-zag of a small non-negative value
    ByteBuffer buf = ByteBuffer.wrap(copy);
    buf.putInt(BatchLayout.CRC_OFFSET, BatchLayout.crc(ByteBuffer.wrap(copy)));
    return copy;
  }

  /** A zig-zag varint at {@code pos}: {value, position after it}. */
  private static long[] readVarint(byte[] b, int pos) {
    int raw = 0;
    int shift = 0;
    while (true) {
      int x = b[pos++] & 0xff;
      raw |= (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        break;
      }
      shift += 7;
    }
    return new long[] {(raw >>> 1) ^ -(raw & 1), pos};
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] b = new byte[buffer.remaining()];
    buffer.duplicate().get(b);
    return b;
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private PartitionReplica replica(String topic, int partition) {
    return node.replicas().get(new PartitionId(topic, partition)).orElseThrow();
  }

  private HttpRequest.Builder request(String topic, int partition, String query) {
    return HttpRequest.newBuilder(
            uri("/topics/" + topic + "/partitions/" + partition + "/records" + query))
        .header("Content-Type", MediaTypes.RECORD_BATCH_V2)
        .timeout(Duration.ofSeconds(30));
  }

  private HttpResponse<String> produce(String topic, int partition, String query, byte[] body)
      throws Exception {
    return http.send(
        request(topic, partition, query).POST(BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The same body without a Content-Length: the server counts it as it arrives. */
  private HttpResponse<String> produceChunked(String topic, int partition, byte[] body)
      throws Exception {
    return http.send(
        request(topic, partition, "")
            .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String type, byte[] body) {
    try {
      return http.send(
          HttpRequest.newBuilder(uri(path))
              .header("Content-Type", type)
              .POST(BodyPublishers.ofByteArray(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.apiPort() + path);
  }
}
