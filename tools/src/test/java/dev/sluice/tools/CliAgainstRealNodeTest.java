package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a real node: produce and consume round trips, and the server's errors. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliAgainstRealNodeTest {
  @TempDir static Path dir;
  private SluiceNode node;
  private String server;

  @BeforeAll
  void start() {
    node =
        SluiceNode.start(
            TestNodes.singleNode(dir, Map.of("sluice.storage.max-batch-bytes", "4MiB")));
    server = node.apiUri().toString();
    CliRun created =
        CliRun.run(
            "topic", "create", "cli", "--partitions", "2", "--replicas", "1", "--server", server);
    assertEquals(0, created.exitCode(), created.toString());
  }

  @AfterAll
  void stop() {
    node.close();
  }

  @Test
  void statusShowsTheSingleMemberLeadingEveryPartition() throws Exception {
    CliRun run = CliRun.run("status", "--server", server);
    assertEquals(0, run.exitCode(), run.toString());
    String[] lines = run.out().split("\n");
    assertTrue(lines[0].startsWith("as seen by node 1; controller on 1 (pekko://"), run.out());
    assertTrue(lines[2].matches("1 +pekko://\\S+ +Up +yes +2"), run.out());
    assertTrue(
        run.out().contains("partitions: 2, under-replicated: 0, under-min-in-sync: 0, offline: 0"),
        run.out());
    assertTrue(run.out().contains("stalled replicas: none"), run.out());

    CliRun json = CliRun.run("status", "--json", "--server", server);
    assertEquals(0, json.exitCode(), json.toString());
    JsonNode status = ApiJson.mapper().readTree(json.out());
    assertEquals(1, status.get("node").asInt());
    assertEquals(2, status.get("partitions").get("total").asInt());
    assertEquals(2, status.get("leadersPerNode").get("1").asInt());
  }

  @Test
  void linesFromStdinRoundTrip() {
    CliRun produced =
        CliRun.runWithStdin(
            "one\ntwo\nthree\n", "produce", "cli", "--partition", "0", "--server", server);
    assertEquals(0, produced.exitCode(), produced.toString());
    assertTrue(produced.out().contains("offset 2"), produced.toString());

    CliRun consumed =
        CliRun.run("consume", "cli", "--partition", "0", "--from", "0", "--server", server);
    assertEquals(0, consumed.exitCode(), consumed.toString());
    assertEquals("0\tone\n1\ttwo\n2\tthree\n", consumed.out());
  }

  @Test
  void aValueFileRoundTripsThroughOutDir() throws Exception {
    byte[] value = new byte[3 * 1024 * 1024];
    new Random(3).nextBytes(value);
    Path file = dir.resolve("value.bin");
    Files.write(file, value);
    CliRun produced =
        CliRun.run(
            "produce",
            "cli",
            "--partition",
            "1",
            "--value-file",
            file.toString(),
            "--server",
            server);
    assertEquals(0, produced.exitCode(), produced.toString());

    Path out = dir.resolve("out");
    CliRun consumed =
        CliRun.run(
            "consume",
            "cli",
            "--partition",
            "1",
            "--from",
            "0",
            "--count",
            "1",
            "--out-dir",
            out.toString(),
            "--server",
            server);
    assertEquals(0, consumed.exitCode(), consumed.toString());
    assertArrayEquals(value, Files.readAllBytes(out.resolve("0")));
  }

  @Test
  void serverErrorsExitOneWithTheServersMessage() throws Exception {
    Path big = dir.resolve("big.bin");
    Files.write(big, new byte[5 * 1024 * 1024]);
    CliRun tooLarge =
        CliRun.run(
            "produce",
            "cli",
            "--partition",
            "1",
            "--value-file",
            big.toString(),
            "--server",
            server);
    assertEquals(1, tooLarge.exitCode(), tooLarge.toString());
    assertTrue(
        tooLarge.err().contains("sluice.storage.max-batch-bytes = 4194304"), tooLarge.toString());

    CliRun unknown = CliRun.run("topic", "describe", "nope", "--server", server);
    assertEquals(1, unknown.exitCode(), unknown.toString());
    assertTrue(unknown.err().contains("unknown topic nope"), unknown.toString());

    CliRun duplicate =
        CliRun.run(
            "topic", "create", "cli", "--partitions", "1", "--replicas", "1", "--server", server);
    assertEquals(1, duplicate.exitCode(), duplicate.toString());
  }

  @Test
  void topicLifecycleThroughTheCli() {
    String[] srv = {"--server", server};
    CliRun created =
        CliRun.run(
            "topic",
            "create",
            "life",
            "--partitions",
            "1",
            "--replicas",
            "1",
            "--config",
            "retention.time=7d",
            srv[0],
            srv[1]);
    assertEquals(0, created.exitCode(), created.toString());
    assertTrue(created.out().contains("settings: retention.time=7d"), created.toString());

    CliRun altered =
        CliRun.run(
            "topic",
            "alter",
            "life",
            "--config",
            "retention.time=",
            "--config",
            "flush=os",
            srv[0],
            srv[1]);
    assertEquals(0, altered.exitCode(), altered.toString());
    assertEquals("topic life settings: flush=os\n", altered.out());

    CliRun bad = CliRun.run("topic", "alter", "life", "--config", "flush=never", srv[0], srv[1]);
    assertEquals(1, bad.exitCode(), bad.toString());
    assertTrue(bad.err().contains("flush = never"), bad.toString());

    CliRun grown = CliRun.run("topic", "add-partitions", "life", "--count", "3", srv[0], srv[1]);
    assertEquals(0, grown.exitCode(), grown.toString());
    assertTrue(grown.out().contains("3 partitions"), grown.toString());
    CliRun shrink = CliRun.run("topic", "add-partitions", "life", "--count", "2", srv[0], srv[1]);
    assertEquals(1, shrink.exitCode(), shrink.toString());
    assertTrue(shrink.err().contains("has 3 partitions"), shrink.toString());

    CliRun described = CliRun.run("topic", "describe", "life", srv[0], srv[1]);
    assertEquals(0, described.exitCode(), described.toString());
    assertTrue(described.out().contains("settings: flush=os"), described.toString());
    assertTrue(described.out().contains("PREFERRED"), described.toString());

    CliRun rebalanced = CliRun.run("leaders", "rebalance", srv[0], srv[1]);
    assertEquals(0, rebalanced.exitCode(), rebalanced.toString());

    CliRun deleted = CliRun.run("topic", "delete", "life", "--yes", srv[0], srv[1]);
    assertEquals(0, deleted.exitCode(), deleted.toString());
    CliRun gone = CliRun.run("topic", "describe", "life", srv[0], srv[1]);
    assertEquals(1, gone.exitCode(), gone.toString());
    assertTrue(gone.err().contains("unknown topic life"), gone.toString());
  }
}
