package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.api.Headers;
import dev.sluice.api.MediaTypes;
import dev.sluice.api.NdjsonCodec;
import dev.sluice.api.RecordHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.Header;
import dev.sluice.format.Record;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compressed batches (gzip, snappy, lz4, zstd) built by kafka-clients 4.4.0, produced to a real
 * single node: stored as received (a raw fetch answers the producer's bytes, offset and epoch
 * stamped), and every record reads back equal through the single-record read, the NDJSON fetch
 * (from the batch start and from inside the batch) and the NDJSON follow stream. A stream the codec
 * cannot decode and a record count the stream contradicts are refused 400 with nothing written.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompressedBatchProduceTest {
  private static final String TOPIC = "compressed";
  private static final List<String> CODECS = List.of("gzip", "snappy", "lz4", "zstd");

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
                    "sluice.api.inline-batch-bytes", "1MiB")));
    String json = "{\"name\":\"" + TOPIC + "\",\"partitions\":" + CODECS.size() + "}";
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

  /** Small and empty fields, headers, and a 300 KB value that spans several codec blocks. */
  private static List<Record> records(long now) {
    Random random = new Random(9);
    byte[] large = new byte[300_000];
    for (int i = 0; i < large.length; i++) {
      large[i] = (byte) (i % 251 == 0 ? random.nextInt() : 'a' + i % 26);
    }
    List<Record> records = new ArrayList<>();
    records.add(
        new Record(
            utf8("order-1"),
            utf8("{\"qty\":2}"),
            List.of(new Header("trace", new byte[] {1, 2}), new Header("empty", null)),
            now));
    records.add(Record.of(null, null, now + 1));
    records.add(new Record(utf8("large"), large, List.of(new Header("h", utf8("x"))), now + 2));
    records.add(Record.of(new byte[0], new byte[0], now - 5));
    for (int i = 0; i < 50; i++) {
      byte[] value = new byte[random.nextInt(300)];
      random.nextBytes(value);
      records.add(Record.of(utf8("k" + i), value, now + i));
    }
    return records;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
  void aCompressedBatchIsStoredAsSentAndEveryRecordReadsBack(String codec) throws Exception {
    int partition = CODECS.indexOf(codec);
    List<Record> records = records(System.currentTimeMillis());
    byte[] sent = kafkaBatch(codec, records);
    PartitionReplica replica = replica(partition);
    long before = replica.log().logEndOffset();

    HttpResponse<String> produced = produce(partition, "?acks=all", sent);

    assertEquals(200, produced.statusCode(), produced.body());
    JsonNode answer = ApiJson.mapper().readTree(produced.body());
    assertEquals(before, answer.get("offset").asLong());
    assertEquals(records.size(), answer.get("count").asInt());

    // A raw fetch answers the batch as stored: the producer's bytes, compressed, with the base
    // offset and the leader's epoch stamped.
    int epoch = replica.log().locate(before).orElseThrow().leaderEpoch();
    ByteBuffer expected = ByteBuffer.wrap(sent.clone());
    expected.putLong(BatchLayout.BASE_OFFSET_OFFSET, before);
    expected.putInt(BatchLayout.PARTITION_LEADER_EPOCH_OFFSET, epoch);
    HttpResponse<byte[]> raw =
        get(
            records(partition) + "?offset=" + before + "&maxBytes=1",
            MediaTypes.OCTET_STREAM,
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, raw.statusCode());
    assertArrayEquals(expected.array(), raw.body());

    for (int i = 0; i < records.size(); i++) {
      Record r = records.get(i);
      HttpResponse<byte[]> one =
          get(
              records(partition) + "/" + (before + i),
              MediaTypes.OCTET_STREAM,
              HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, one.statusCode(), "record " + i);
      assertArrayEquals(
          r.value() == null ? new byte[0] : r.value(), one.body(), "value of record " + i);
      assertEquals(
          r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
          one.headers().firstValue(Headers.KEY).orElse(null),
          "key of record " + i);
    }

    String ndjsonFetch = records(partition) + "?offset=" + before + "&maxBytes=1";
    assertLines(records, 0, before, ndjson(ndjsonFetch));
    // From inside the batch: the records before the offset are skipped.
    String fromInside = records(partition) + "?offset=" + (before + 3) + "&maxBytes=1";
    assertLines(records, 3, before, ndjson(fromInside));
    // Follow mode decodes the same way; the stream ends once idle for maxWaitMs.
    String follow = ndjsonFetch + "&follow=true&maxWaitMs=200";
    assertLines(records, 0, before, ndjson(follow));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
  void aStreamTheCodecCannotDecodeIs400NamingTheCodec(String codec) throws Exception {
    int partition = CODECS.indexOf(codec);
    byte[] batch = kafkaBatch(codec, records(1_000L));
    // The codec's frame header overwritten; the CRC recomputed, so only decompression can fail.
    for (int i = 0; i < 8; i++) {
      batch[BatchLayout.HEADER_BYTES + i] = 0x55;
    }
    ByteBuffer.wrap(batch).putInt(BatchLayout.CRC_OFFSET, BatchLayout.crc(ByteBuffer.wrap(batch)));
    long before = replica(partition).log().logEndOffset();

    HttpResponse<String> r = produce(partition, "", batch);

    assertEquals(400, r.statusCode(), r.body());
    String error = ApiJson.mapper().readTree(r.body()).get("error").asText();
    assertTrue(
        error.contains("the " + codec + " stream breaks")
            || error.contains("of the decompressed " + codec + " records"),
        r.body());
    assertEquals(before, replica(partition).log().logEndOffset());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
  void aRecordCountTheStreamContradictsIs400(String codec) throws Exception {
    int partition = CODECS.indexOf(codec);
    List<Record> records = records(1_000L);
    byte[] batch = kafkaBatch(codec, records);
    ByteBuffer b = ByteBuffer.wrap(batch);
    b.putInt(BatchLayout.RECORDS_COUNT_OFFSET, records.size() + 1);
    b.putInt(BatchLayout.LAST_OFFSET_DELTA_OFFSET, records.size());
    b.putInt(BatchLayout.CRC_OFFSET, BatchLayout.crc(ByteBuffer.wrap(batch)));
    long before = replica(partition).log().logEndOffset();

    HttpResponse<String> r = produce(partition, "", batch);

    assertEquals(400, r.statusCode(), r.body());
    JsonNode error = ApiJson.mapper().readTree(r.body());
    assertEquals(records.size(), error.get("recordIndex").asInt(), r.body());
    assertTrue(
        error
            .get("error")
            .asText()
            .contains("of the decompressed " + codec + " records: the bytes of the decompressed"),
        r.body());
    assertEquals(before, replica(partition).log().logEndOffset());
  }

  private static void assertLines(
      List<Record> records, int from, long base, List<NdjsonCodec.FetchLine> lines) {
    assertEquals(records.size() - from, lines.size());
    for (int i = from; i < records.size(); i++) {
      Record r = records.get(i);
      NdjsonCodec.FetchLine line = lines.get(i - from);
      assertEquals(base + i, line.offset());
      assertArrayEquals(r.key(), line.key(), "key of record " + i);
      assertArrayEquals(r.value(), line.value(), "value of record " + i);
      List<Header> headers = new ArrayList<>();
      for (RecordHeader h : line.headers()) {
        headers.add(new Header(h.key(), h.value()));
      }
      assertEquals(r.headers(), headers, "headers of record " + i);
    }
  }

  /** The batch kafka-clients' producer code builds with {@code codec}, as it sends it. */
  private static byte[] kafkaBatch(String codec, List<Record> records) {
    Compression compression =
        switch (codec) {
          case "gzip" -> Compression.gzip().build();
          case "snappy" -> Compression.snappy().build();
          case "lz4" -> Compression.lz4().build();
          case "zstd" -> Compression.zstd().build();
          default -> throw new IllegalArgumentException(codec);
        };
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(1024),
            (byte) 2,
            compression,
            TimestampType.CREATE_TIME,
            0L,
            -1L,
            -1L,
            (short) -1,
            -1,
            false,
            -1);
    for (Record r : records) {
      builder.append(
          r.timestamp(),
          r.key() == null ? null : ByteBuffer.wrap(r.key()),
          r.value() == null ? null : ByteBuffer.wrap(r.value()),
          r.headers().stream()
              .map(
                  h ->
                      new org.apache.kafka.common.header.internals.RecordHeader(h.key(), h.value()))
              .toArray(org.apache.kafka.common.header.Header[]::new));
    }
    ByteBuffer built = builder.build().buffer();
    byte[] bytes = new byte[built.remaining()];
    built.duplicate().get(bytes);
    return bytes;
  }

  private List<NdjsonCodec.FetchLine> ndjson(String path) throws Exception {
    HttpResponse<byte[]> r = get(path, MediaTypes.NDJSON, HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    return NdjsonCodec.readFetchLines(new ByteArrayInputStream(r.body()));
  }

  private static String records(int partition) {
    return "/topics/" + TOPIC + "/partitions/" + partition + "/records";
  }

  private PartitionReplica replica(int partition) {
    return node.replicas().get(new PartitionId(TOPIC, partition)).orElseThrow();
  }

  private HttpResponse<String> produce(int partition, String query, byte[] body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(records(partition) + query))
            .header("Content-Type", MediaTypes.RECORD_BATCH_V2)
            .timeout(Duration.ofSeconds(30))
            .POST(BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private <T> HttpResponse<T> get(String path, String accept, HttpResponse.BodyHandler<T> body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(path))
            .header("Accept", accept)
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build(),
        body);
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

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
