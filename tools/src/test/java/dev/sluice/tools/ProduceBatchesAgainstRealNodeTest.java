package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.KafkaPartitioner;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code produce --lines} and {@code --ndjson} against a real node: records go through the producer
 * in batches, land where the summary says, and read back with {@code consume}.
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
    for (String topic : new String[] {"lines", "keyed"}) {
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
