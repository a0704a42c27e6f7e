package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.client.testing.FakeSluiceServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProduceCommandTest {

  private static final String RECORDS = "/topics/orders/partitions/0/records";

  private FakeSluiceServer server;

  @BeforeEach
  void start() throws IOException {
    server = new FakeSluiceServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** Answers offsets 0, 1, 2, ... like an empty partition. */
  private void countingOffsets(String path) {
    AtomicLong next = new AtomicLong();
    server.on(
        "POST",
        path,
        (exchange, request) ->
            FakeSluiceServer.send(exchange, 200, "{\"offset\":" + next.getAndIncrement() + "}"));
  }

  @Test
  void valueKeyAndAcksAreSentAndTheOffsetIsPrinted() {
    server.onJson("POST", "/topics/orders/partitions/2/records", 200, "{\"offset\":7}");

    CliRun run =
        CliRun.run(
            "produce",
            "orders",
            "--partition",
            "2",
            "--key",
            "customer 17",
            "--acks",
            "all",
            "--value",
            "héllo",
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("partition 2 offset 7\n", run.out());
    FakeSluiceServer.Request request = server.requests().get(0);
    assertEquals("héllo", request.bodyText());
    assertEquals("customer 17", request.key());
    assertEquals("acks=all", request.query());
  }

  @Test
  void withoutAValueEveryStdinLineIsOneRecord() {
    countingOffsets(RECORDS);

    CliRun run =
        CliRun.runWithStdin(
            "first\nsecond\nthird\n", "produce", "orders", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("partition 0 offset 0\npartition 0 offset 1\npartition 0 offset 2\n", run.out());
    List<String> bodies =
        server.requests().stream().map(FakeSluiceServer.Request::bodyText).toList();
    assertEquals(List.of("first", "second", "third"), bodies);
    assertNull(server.requests().get(0).query(), "no acks given, the server's default applies");
    assertNull(server.requests().get(0).key());
  }

  @Test
  void aValueFileIsSentWholeWithAProgressBarWhenAskedFor(@TempDir Path dir) throws IOException {
    countingOffsets(RECORDS);
    byte[] value = new byte[(int) ProgressBar.THRESHOLD_BYTES + 123_457];
    new Random(42).nextBytes(value);
    Path file = Files.write(dir.resolve("big.bin"), value);

    CliRun run =
        CliRun.run(
            "produce",
            "orders",
            "--value-file",
            file.toString(),
            "--progress",
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("partition 0 offset 0\n", run.out());
    assertArrayEquals(value, server.requests().get(0).body());
    assertTrue(run.err().contains("100%"), run::toString);
  }

  @Test
  void aSmallValueFileShowsNoProgressBar(@TempDir Path dir) throws IOException {
    countingOffsets(RECORDS);
    Path file = Files.writeString(dir.resolve("small.txt"), "tiny");

    CliRun run =
        CliRun.run(
            "produce",
            "orders",
            "--value-file",
            file.toString(),
            "--progress",
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("tiny", server.requests().get(0).bodyText());
    assertEquals("", run.err());
  }

  @Test
  void aServerErrorPrintsItsMessageAndExitsOne() {
    server.onJson(
        "POST", RECORDS, 503, "{\"error\":\"not enough replicas: 1 in sync, 2 required\"}");

    CliRun run = CliRun.run("produce", "orders", "--value", "v", "--server", server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertEquals("error: not enough replicas: 1 in sync, 2 required\n", run.err());
    assertEquals("", run.out());
  }

  @Test
  void aMissingValueFileExitsOne() {
    CliRun run =
        CliRun.run("produce", "orders", "--value-file", "/no/such/file", "--server", server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertEquals("error: no such file: /no/such/file\n", run.err());
    assertTrue(server.requests().isEmpty());
  }

  @Test
  void anUnreachableServerExitsOneNamingTheServer() throws IOException {
    String url = server.url();
    server.close();

    CliRun run = CliRun.run("produce", "orders", "--value", "v", "--server", url);

    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(run.err().startsWith("error: cannot reach " + url), run::toString);
  }

  @Test
  void aServerListSkipsANodeThatIsDown() throws IOException {
    FakeSluiceServer down = new FakeSluiceServer();
    String downUrl = down.url();
    down.close();
    server.onJson("POST", "/topics/orders/partitions/0/records", 200, "{\"offset\":3}");

    CliRun run =
        CliRun.run("produce", "orders", "--value", "v", "--server", downUrl + "," + server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("partition 0 offset 3\n", run.out());
    assertEquals(1, server.requests().size());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--lines --ndjson",
        "--lines --value v",
        "--ndjson --value-file v.bin",
        "--file in.txt",
        "--ndjson --key k",
        "--value v --compression gzip",
        "--idempotence off",
        "--lines --compression deflate",
        "--lines --idempotence yes",
      })
  void batchedInputOptionsThatDoNotGoTogetherAreUsageErrors(String options) {
    List<String> args = new ArrayList<>(List.of("produce", "orders", "--server", server.url()));
    args.addAll(List.of(options.split(" ")));

    CliRun run = CliRun.run(args.toArray(String[]::new));

    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(server.requests().isEmpty(), run::toString);
  }

  @Test
  void compressionWithoutBatchesNamesTheInputsItAppliesTo() {
    CliRun run =
        CliRun.run(
            "produce", "orders", "--server", server.url(), "--value", "v", "--compression", "lz4");

    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(run.err().contains("--compression applies to --lines and --ndjson"), run::toString);
  }

  @Test
  void aBadNdjsonLineIsNamedByItsNumberAndNothingIsSent() {
    CliRun run =
        CliRun.runWithStdin(
            "\n{\"value\":\"aGk=\",\"partition\":5}\n",
            "produce",
            "orders",
            "--ndjson",
            "--server",
            server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(
        run.err().startsWith("error: stdin line 2: unknown field \"partition\""), run::toString);
    assertTrue(run.out().startsWith("produced 0 records (0 B) to orders in "), run::toString);
    assertTrue(server.requests().isEmpty(), "nothing sent: " + server.requests());
  }

  @Test
  void linesToATopicThatDoesNotExistFailEveryRecordAndExitOne() {
    CliRun run =
        CliRun.runWithStdin("a\nb\n", "produce", "orders", "--lines", "--server", server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(
        run.out().matches("produced 0 records \\(0 B\\) to orders in \\d+\\.\\d\\d s\n"),
        run::toString);
    assertTrue(
        run.err().startsWith("error: 2 of 2 records failed; the first: cannot send to orders: "),
        run::toString);
    assertTrue(
        server.requests().stream().allMatch(r -> r.method().equals("GET")),
        "only the topic was asked for: " + server.requests());
  }

  @Test
  void aMissingInputFileExitsOneBeforeAnythingIsSent() {
    CliRun run =
        CliRun.run(
            "produce", "orders", "--lines", "--file", "/no/such/input", "--server", server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertEquals("error: no such file: /no/such/input\n", run.err());
    assertEquals("", run.out());
    assertTrue(server.requests().isEmpty());
  }
}
