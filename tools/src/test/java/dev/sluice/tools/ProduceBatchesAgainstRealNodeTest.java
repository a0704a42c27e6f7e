package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.ProduceRecord;
import dev.sluice.api.RecordHeader;
import dev.sluice.client.ConsumedRecord;
import dev.sluice.client.FetchedRecords;
import dev.sluice.client.RecordMetadata;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceProducer;
import dev.sluice.format.Compression;
import dev.sluice.format.KafkaPartitioner;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code produce --lines} and {@code --ndjson} against a real node: records go through the producer
 * in batches, land where the summary says, and read back with {@code consume}; batches the producer
 * compresses read back as the records sent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProduceBatchesAgainstRealNodeTest {
  private static final int PARTITIONS = 3;

  @TempDir static Path dir;
  private SluiceNode node;
  private String server;

  @BeforeAll
  void start() {
    node = SluiceNode.start(TestNodes.singleNode(dir, Map.of()));
    server = node.apiUri().toString();
    for (String topic : new String[] {"lines", "keyed", "gzip", "lz4", "zipped-lines"}) {
      CliRun created =
          CliRun.run(
              "topic",
              "create",
              topic,
              "--partitions",
              String.valueOf(PARTITIONS),
              "--replicas",
              "1",
              "--server",
              server);
      assertEquals(0, created.exitCode(), created.toString());
    }
  }

  @AfterAll
  void stop() {
    node.close();
  }

  @Test
  void linesToOnePartitionAreWrittenInOrderAndSummarised() {
    CliRun produced =
        CliRun.runWithStdin(
            "one\ntwo\nthree\n",
            "produce",
            "lines",
            "--lines",
            "--partition",
            "1",
            "--acks",
            "all",
            "--server",
            server);

    assertEquals(0, produced.exitCode(), produced.toString());
    assertTrue(
        produced
            .out()
            .matches(
                "produced 3 records \\(11 B\\) to lines in \\d+\\.\\d\\d s\n"
                    + "partition 1: offsets 0 to 2 \\(3 records\\)\n"),
        produced.toString());
    assertEquals("0\tone\n1\ttwo\n2\tthree\n", consume("lines", 1, 3));
  }

  @Test
  void ndjsonRecordsFromAFileGoToTheirKeysPartitions() throws Exception {
    StringBuilder input = new StringBuilder();
    Map<Integer, StringBuilder> expected = new TreeMap<>();
    Map<Integer, Integer> counts = new TreeMap<>();
    Base64.Encoder base64 = Base64.getEncoder();
    for (int i = 0; i < 40; i++) {
      byte[] key = ("customer-" + i).getBytes(UTF_8);
      int partition = KafkaPartitioner.partitionForKey(key, PARTITIONS);
      int offset = counts.merge(partition, 1, Integer::sum) - 1;
      input
          .append("{\"key\":\"")
          .append(base64.encodeToString(key))
          .append("\",\"value\":\"")
          .append(base64.encodeToString(("order " + i).getBytes(UTF_8)))
          .append("\",\"headers\":[{\"key\":\"n\",\"value\":null}]}\n");
      expected
          .computeIfAbsent(partition, p -> new StringBuilder())
          .append(offset + "\torder " + i + "\n");
    }
    Path file = Files.writeString(dir.resolve("orders.ndjson"), input);

    CliRun produced =
        CliRun.run("produce", "keyed", "--ndjson", "--file", file.toString(), "--server", server);

    assertEquals(0, produced.exitCode(), produced.toString());
    for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
      String line =
          "partition " + e.getKey() + ": offsets 0 to " + (e.getValue() - 1) + " (" + e.getValue();
      assertTrue(produced.out().contains(line), line + " in " + produced);
      assertEquals(expected.get(e.getKey()).toString(), consume("keyed", e.getKey(), e.getValue()));
    }
  }

  @Test
  void benchProduceThroughTheProducerReportsRecordAndRequestLatencies() {
    CliRun bench =
        CliRun.run(
            "bench",
            "produce",
            "--server",
            server,
            "--topic",
            "bench",
            "--replicas",
            "1",
            "--records",
            "500",
            "--record-bytes",
            "1KiB",
            "--batch-bytes",
            "64KiB",
            "--warmup",
            "20");

    assertEquals(0, bench.exitCode(), bench.toString());
    assertTrue(bench.out().contains("bench produce results (producer)"), bench.toString());
    assertTrue(bench.out().contains("record latency ms"), bench.toString());
    assertTrue(bench.out().contains("request latency ms"), bench.toString());
    assertTrue(bench.out().contains("\nmib_per_s="), bench.toString());
    // Warm-up and measured records, all of them: the last is at offset 519.
    Path out = dir.resolve("bench-out");
    CliRun last =
        CliRun.run(
            "consume",
            "bench",
            "--partition",
            "0",
            "--from",
            "519",
            "--count",
            "1",
            "--out-dir",
            out.toString(),
            "--server",
            server);
    assertEquals(0, last.exitCode(), last.toString());
    assertEquals(1024, out.resolve("519").toFile().length());
  }

  @ParameterizedTest
  @EnumSource(
      value = Compression.class,
      names = {"GZIP", "LZ4"})
  void recordsTheProducerCompressesReadBackEqual(Compression compression) throws Exception {
    String topic = compression.wireName();
    List<ProduceRecord> sent = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      sent.add(
          new ProduceRecord(
              ("customer-" + (i % 5)).getBytes(UTF_8),
              ("{\"order\":" + i + ",\"status\":\"shipped\",\"note\":\"" + "x".repeat(i) + "\"}")
                  .getBytes(UTF_8),
              List.of(new RecordHeader("source", "web".getBytes(UTF_8)))));
    }
    List<SluiceProducer.BatchReport> reports = new CopyOnWriteArrayList<>();
    SluiceClient client = SluiceClient.create(node.apiUri());
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    try (SluiceProducer producer =
        SluiceProducer.builder(client)
            .compression(compression)
            .batchBytes(16 * 1024)
            .linger(Duration.ofMillis(50))
            .batchListener(reports::add)
            .build()) {
      for (ProduceRecord record : sent) {
        futures.add(producer.send(topic, 1, record));
      }
      producer.flush();
    }
    for (int i = 0; i < futures.size(); i++) {
      assertEquals(
          new RecordMetadata(topic, 1, i), futures.get(i).get(30, TimeUnit.SECONDS), "record " + i);
    }

    assertReadBack(sent, read(client, topic, false));
    assertReadBack(sent, read(client, topic, true));
    // The bodies were compressed: smaller than the records they carried, uncompressed.
    long bodies = reports.stream().mapToLong(SluiceProducer.BatchReport::bytes).sum();
    List<Record> asRecords = new ArrayList<>();
    for (ProduceRecord r : sent) {
      asRecords.add(new Record(r.key(), r.value(), List.of(), 0));
    }
    assertTrue(
        bodies < MemoryBatchBuilder.sizeOf(asRecords),
        compression + " bodies of " + bodies + " bytes in " + reports.size() + " requests");
    assertFalse(reports.stream().anyMatch(r -> r.failure() != null), reports.toString());
  }

  /** The records of partition 1, decoded by the server or ({@code batches}) by the client. */
  private static List<ConsumedRecord> read(SluiceClient client, String topic, boolean batches) {
    List<ConsumedRecord> records = new ArrayList<>();
    long offset = 0;
    while (records.size() < 200) {
      FetchedRecords fetched =
          batches
              ? client.fetchBatches(topic, 1, offset, 1 << 20, Duration.ZERO)
              : client.fetchRecords(topic, 1, offset, 1 << 20, Duration.ZERO);
      assertFalse(fetched.isEmpty(), "nothing at offset " + offset + " of " + topic);
      records.addAll(fetched.records());
      offset = fetched.nextOffset();
    }
    return records;
  }

  private static void assertReadBack(List<ProduceRecord> sent, List<ConsumedRecord> read) {
    assertEquals(sent.size(), read.size());
    for (int i = 0; i < sent.size(); i++) {
      ConsumedRecord r = read.get(i);
      assertEquals(i, r.offset());
      assertArrayEquals(sent.get(i).key(), r.key(), "key of " + i);
      assertArrayEquals(sent.get(i).value(), r.value(), "value of " + i);
      assertEquals(1, r.headers().size(), "headers of " + i);
      assertEquals("source", r.headers().get(0).key());
      assertArrayEquals("web".getBytes(UTF_8), r.headers().get(0).value());
    }
  }

  @Test
  void linesCompressedWithZstdWithoutIdempotenceReadBack() {
    CliRun produced =
        CliRun.runWithStdin(
            "alpha\nbeta\ngamma\n",
            "produce",
            "zipped-lines",
            "--lines",
            "--partition",
            "2",
            "--compression",
            "zstd",
            "--idempotence",
            "off",
            "--server",
            server);

    assertEquals(0, produced.exitCode(), produced.toString());
    assertTrue(
        produced.out().contains("partition 2: offsets 0 to 2 (3 records)"), produced.toString());
    assertEquals("0\talpha\n1\tbeta\n2\tgamma\n", consume("zipped-lines", 2, 3));
  }

  @Test
  void benchProduceNamesItsCompressionAndIdempotence() {
    CliRun bench =
        CliRun.run(
            "bench",
            "produce",
            "--server",
            server,
            "--topic",
            "bench-snappy",
            "--replicas",
            "1",
            "--records",
            "200",
            "--record-bytes",
            "1KiB",
            "--compression",
            "snappy",
            "--max-in-flight",
            "5",
            "--warmup",
            "0");

    assertEquals(0, bench.exitCode(), bench.toString());
    assertTrue(
        bench.out().contains("through the producer: compression snappy, idempotence on,"),
        bench.toString());
    assertTrue(bench.out().contains("max in flight 5"), bench.toString());
  }

  private String consume(String topic, int partition, int count) {
    CliRun consumed =
        CliRun.run(
            "consume",
            topic,
            "--partition",
            String.valueOf(partition),
            "--from",
            "0",
            "--count",
            String.valueOf(count),
            "--server",
            server);
    assertEquals(0, consumed.exitCode(), consumed.toString());
    return consumed.out();
  }
}
