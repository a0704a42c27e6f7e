package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Headers;
import dev.sluice.client.testing.FakeSluiceServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsumeCommandTest {

  private static final String RECORDS = "/topics/orders/partitions/1/records/";

  private static final String TOPIC_HW_2 =
      """
      {"name":"orders","partitionCount":2,"replicationFactor":2,"partitions":[
        {"partition":1,"leader":2,"leaderEpoch":3,"inSync":[2,1],"replicas":[
          {"node":1,"role":"follower","leo":1,"hw":1,"state":"catchingUp","lagBytes":10},
          {"node":2,"role":"leader","leo":2,"hw":2,"state":"leading","lagBytes":0}]}]}
      """;

  private FakeSluiceServer server;

  @BeforeEach
  void start() throws IOException {
    server = new FakeSluiceServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void record(long offset, byte[] value, String key) {
    server.on(
        "GET",
        RECORDS + offset,
        (exchange, request) -> {
          exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
          exchange.getResponseHeaders().set(Headers.OFFSET, Long.toString(offset));
          if (key != null) {
            exchange.getResponseHeaders().set(Headers.KEY, key);
          }
          FakeSluiceServer.sendBytes(exchange, 200, value);
        });
  }

  private void record(long offset, String value) {
    record(offset, value.getBytes(UTF_8), null);
  }

  @Test
  void countRecordsArePrintedAsOffsetTabValue() {
    record(3, "drei");
    record(4, "vier ✓");

    CliRun run =
        CliRun.run(
            "consume",
            "orders",
            "--partition",
            "1",
            "--from",
            "3",
            "--count",
            "2",
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("3\tdrei\n4\tvier ✓\n", run.out());
  }

  @Test
  void withoutCountItReadsUpToTheLeadersHighWatermark() {
    server.onJson("GET", "/topics/orders", 200, TOPIC_HW_2);
    record(0, "a");
    record(1, "b");
    record(2, "not committed yet");

    CliRun run =
        CliRun.run(
            "consume", "orders", "--partition", "1", "--from", "0", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("0\ta\n1\tb\n", run.out());
    assertFalse(
        server.requests().stream().anyMatch(r -> r.path().equals(RECORDS + "2")),
        "offset 2 is at the high watermark and must not be read");
  }

  @Test
  void startingAtTheHighWatermarkReadsNothing() {
    server.onJson("GET", "/topics/orders", 200, TOPIC_HW_2);

    CliRun run =
        CliRun.run(
            "consume", "orders", "--partition", "1", "--from", "2", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("", run.out());
    assertTrue(run.err().contains("high watermark 2"), run::toString);
  }

  @Test
  void anUnknownPartitionExitsOne() {
    server.onJson("GET", "/topics/orders", 200, TOPIC_HW_2);

    CliRun run =
        CliRun.run(
            "consume", "orders", "--partition", "7", "--from", "0", "--server", server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertEquals("error: topic orders has no partition 7\n", run.err());
  }

  @Test
  void outDirGetsOneFilePerRecord(@TempDir Path dir) throws IOException {
    record(0, "zero".getBytes(UTF_8), "k");
    record(1, "one".getBytes(UTF_8), null);
    Path out = dir.resolve("values");

    CliRun run =
        CliRun.run(
            "consume",
            "orders",
            "--partition",
            "1",
            "--from",
            "0",
            "--count",
            "2",
            "--out-dir",
            out.toString(),
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("zero", Files.readString(out.resolve("0")));
    assertEquals("one", Files.readString(out.resolve("1")));
    assertEquals("0\t" + out.resolve("0") + "\n1\t" + out.resolve("1") + "\n", run.out());
    try (var files = Files.list(out)) {
      assertEquals(2, files.count(), "no partial files are left behind");
    }
  }

  @Test
  void aLargeValueIsStreamedToItsFileWithAProgressBar(@TempDir Path dir) throws IOException {
    byte[] value = new byte[(int) ProgressBar.THRESHOLD_BYTES + 1];
    new Random(7).nextBytes(value);
    record(5, value, null);

    CliRun run =
        CliRun.run(
            "consume",
            "orders",
            "--partition",
            "1",
            "--from",
            "5",
            "--count",
            "1",
            "--out-dir",
            dir.toString(),
            "--progress",
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertArrayEquals(value, Files.readAllBytes(dir.resolve("5")));
    assertTrue(run.err().contains("100%"), run::toString);
  }

  @Test
  void anOutOfRangeOffsetPrintsTheServersMessageAndExitsOne() {
    record(0, "a");
    server.onJson(
        "GET",
        RECORDS + "1",
        416,
        "{\"error\":\"offset 1 is out of range [0, 1)\",\"logStartOffset\":0,\"highWatermark\":1}");

    CliRun run =
        CliRun.run(
            "consume",
            "orders",
            "--partition",
            "1",
            "--from",
            "0",
            "--count",
            "5",
            "--server",
            server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertEquals("0\ta\n", run.out(), "records before the failure are still printed");
    assertEquals("error: offset 1 is out of range [0, 1)\n", run.err());
  }
}
