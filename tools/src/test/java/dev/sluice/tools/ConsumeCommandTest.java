package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Headers;
import dev.sluice.api.MediaTypes;
import dev.sluice.client.testing.FakeSluiceServer;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.Compression;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsumeCommandTest {

  private static final String RECORDS = "/topics/orders/partitions/1/records/";
  private static final String BATCHES = "/topics/orders/partitions/1/records";

  private static final String TOPIC_HW_2 =
      """
      {"name":"orders","partitionCount":2,"replicationFactor":2,"partitions":[
        {"partition":1,"leader":2,"leaderEpoch":3,"inSync":[2,1],"replicas":[
          {"node":1,"role":"follower","leo":1,"hw":1,"state":"catchingUp","lagBytes":10},
          {"node":2,"role":"leader","leo":2,"hw":2,"state":"leading","lagBytes":0}]}]}
      """;

  private static final String TOPIC_HW_5 = TOPIC_HW_2.replace("\"hw\":2", "\"hw\":5");

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

  /**
   * Serves the batch fetch of a partition holding {@code values} from offset 0, committed below
   * {@code hw}, as stored RecordBatch v2 batches of one record each, at most two records per answer
   * so that reading takes several requests.
   */
  private void partition(long hw, String... values) {
    server.on(
        "GET",
        BATCHES,
        (exchange, request) -> {
          long offset = Long.parseLong(query(request.query(), "offset"));
          ByteArrayOutputStream body = new ByteArrayOutputStream();
          long next = offset;
          while (next < hw && next < values.length && next < offset + 2) {
            body.writeBytes(storedBatch(next, values[(int) next]));
            next++;
          }
          exchange.getResponseHeaders().set("Content-Type", MediaTypes.OCTET_STREAM);
          exchange.getResponseHeaders().set(Headers.NEXT_OFFSET, Long.toString(next));
          exchange.getResponseHeaders().set(Headers.HIGH_WATERMARK, Long.toString(hw));
          FakeSluiceServer.sendBytes(exchange, 200, body.toByteArray());
        });
  }

  /** One record stored at {@code offset} as a node serves it: a v2 batch with its base offset. */
  private static byte[] storedBatch(long offset, String value) {
    ByteBuffer batch =
        MemoryBatchBuilder.build(
            List.of(Record.of(null, value.getBytes(UTF_8), 1_700_000_000_000L)), Compression.NONE);
    batch.putLong(BatchLayout.BASE_OFFSET_OFFSET, offset);
    byte[] bytes = new byte[batch.remaining()];
    batch.get(bytes);
    return bytes;
  }

  private static String query(String query, String name) {
    for (String pair : query.split("&")) {
      if (pair.startsWith(name + "=")) {
        return pair.substring(name.length() + 1);
      }
    }
    throw new AssertionError("no " + name + " in " + query);
  }

  private long batchRequests() {
    return server.requests().stream().filter(r -> r.path().equals(BATCHES)).count();
  }

  @Test
  void countRecordsArePrintedAsOffsetTabValue() {
    partition(10, "null", "eins", "zwei", "drei", "vier ✓", "fünf");

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
    assertEquals(1, batchRequests(), "two records come in one request");
    assertTrue(server.requests().get(0).query().contains("maxWaitMs=0"), run::toString);
  }

  @Test
  void manyRecordsAreReadInBatchesNotOneRequestPerRecord() {
    server.onJson("GET", "/topics/orders", 200, TOPIC_HW_5);
    partition(5, "a", "b", "c", "d", "e");

    CliRun run =
        CliRun.run(
            "consume", "orders", "--partition", "1", "--from", "0", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("0\ta\n1\tb\n2\tc\n3\td\n4\te\n", run.out());
    assertEquals(3, batchRequests(), "two records per answer of the fake: 3 requests");
    assertFalse(
        server.requests().stream().anyMatch(r -> r.path().startsWith(RECORDS)),
        "no single-record reads");
  }

  @Test
  void followKeepsLongPollingUntilCountRecordsArrived() {
    // Each answer holds the next record only once it "arrived": the fake commits one per request.
    long[] committed = {1};
    server.on(
        "GET",
        BATCHES,
        (exchange, request) -> {
          long offset = Long.parseLong(query(request.query(), "offset"));
          long hw;
          synchronized (committed) {
            hw = committed[0]++;
          }
          byte[] body = offset < hw ? storedBatch(offset, "v" + offset) : new byte[0];
          exchange.getResponseHeaders().set("Content-Type", MediaTypes.OCTET_STREAM);
          exchange
              .getResponseHeaders()
              .set(Headers.NEXT_OFFSET, Long.toString(offset < hw ? offset + 1 : offset));
          exchange.getResponseHeaders().set(Headers.HIGH_WATERMARK, Long.toString(hw));
          FakeSluiceServer.sendBytes(exchange, 200, body);
        });

    CliRun run =
        CliRun.run(
            "consume",
            "orders",
            "--partition",
            "1",
            "--from",
            "0",
            "--count",
            "3",
            "--follow",
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("0\tv0\n1\tv1\n2\tv2\n", run.out());
    for (FakeSluiceServer.Request r : server.requests()) {
      long waitMs = Long.parseLong(query(r.query(), "maxWaitMs"));
      assertTrue(
          waitMs > 0 && waitMs <= ConsumeCommand.FOLLOW_WAIT.toMillis(),
          "every request of --follow is a long poll: " + r.query());
    }
  }

  @Test
  void followDoesNotCombineWithOutDir(@TempDir Path dir) {
    CliRun run =
        CliRun.run(
            "consume",
            "orders",
            "--partition",
            "1",
            "--from",
            "0",
            "--follow",
            "--out-dir",
            dir.toString(),
            "--server",
            server.url());

    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(run.err().contains("--out-dir"), run::toString);
  }

  @Test
  void withoutCountItReadsUpToTheLeadersHighWatermark() {
    server.onJson("GET", "/topics/orders", 200, TOPIC_HW_2);
    partition(3, "a", "b", "committed after the command started");

    CliRun run =
        CliRun.run(
            "consume", "orders", "--partition", "1", "--from", "0", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("0\ta\n1\tb\n", run.out(), "offset 2 is at the high watermark at the start");
    assertFalse(
        server.requests().stream()
            .anyMatch(r -> r.path().equals(BATCHES) && r.query().contains("offset=2")),
        "nothing is fetched at the high watermark");
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
    server.on(
        "GET",
        BATCHES,
        (exchange, request) -> {
          if (request.query().contains("offset=0&")) {
            exchange.getResponseHeaders().set(Headers.NEXT_OFFSET, "1");
            exchange.getResponseHeaders().set(Headers.HIGH_WATERMARK, "1");
            FakeSluiceServer.sendBytes(exchange, 200, storedBatch(0, "a"));
          } else {
            FakeSluiceServer.send(
                exchange,
                416,
                "{\"error\":\"offset 1 is out of range [0, 1)\",\"logStartOffset\":0,"
                    + "\"highWatermark\":1}");
          }
        });

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
