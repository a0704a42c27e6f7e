package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The options of {@code demo}, {@code bench catchup} and {@code bench produce}: defaults, parsing,
 * and that every bad value is a usage error reported before any node starts or any file is written.
 * {@code DemoIT} in multi-jvm-tests runs the demo for real.
 */
class DemoAndBenchOptionsTest {

  @TempDir Path tmp;

  @Test
  void demoDefaultsAreATemporaryDirectoryPort7800AndTenMinutes() {
    DemoCommand cmd = parse("demo");

    assertNull(cmd.sessionOptions.dataDir);
    assertEquals(7800, cmd.sessionOptions.basePort);
    assertFalse(cmd.keep);
    assertFalse(cmd.insecure, "secure by default");
    assertEquals(Duration.ofMinutes(10), cmd.sessionOptions.timeout);
  }

  @Test
  void demoOptionsAreParsed() {
    DemoCommand cmd =
        parse(
            "demo",
            "--data-dir",
            "/tmp/d",
            "--base-port",
            "27800",
            "--keep",
            "--timeout",
            "5m",
            "--insecure");

    assertEquals(Path.of("/tmp/d"), cmd.sessionOptions.dataDir);
    assertEquals(27800, cmd.sessionOptions.basePort);
    assertTrue(cmd.keep);
    assertTrue(cmd.insecure);
    assertEquals(Duration.ofMinutes(5), cmd.sessionOptions.timeout);
  }

  @Test
  void benchCatchupDefaultsAreAHalfGibBacklogOf64MibRecordsThrough1MibFrames() {
    BenchCatchupCommand cmd = parse("bench", "catchup");

    assertNull(cmd.sessionOptions.dataDir);
    assertEquals(7900, cmd.sessionOptions.basePort);
    assertEquals(Duration.ofMinutes(20), cmd.sessionOptions.timeout);

    assertEquals(512L << 20, cmd.backlogBytes);
    assertEquals(64L << 20, cmd.recordBytes);
    assertEquals(1L << 20, cmd.peerMaxBytes);
    assertNull(cmd.followerHeap);
    assertEquals(LocalClusterLayout.Security.SECURE, cmd.tls, "TLS on, as local-cluster");
    assertEquals(
        LocalClusterLayout.Security.INSECURE,
        DemoAndBenchOptionsTest.<BenchCatchupCommand>parse("bench", "catchup", "--tls", "off").tls);
    assertEquals(String.valueOf(1L << 20), cmd.settings().get("sluice.replication.peer-max-bytes"));
  }

  @Test
  void benchCatchupMakesRoomForRecordsLargerThanTheDefaultBatchLimit() {
    BenchCatchupCommand cmd =
        parse("bench", "catchup", "--record-bytes", "512MiB", "--backlog-bytes", "1GiB");

    long maxBatch = Long.parseLong(cmd.settings().get("sluice.storage.max-batch-bytes"));
    long segment = Long.parseLong(cmd.settings().get("sluice.storage.segment-bytes"));
    assertTrue(maxBatch > 512L << 20, "max-batch-bytes " + maxBatch);
    assertTrue(segment >= maxBatch && segment < 2L << 30, "segment-bytes " + segment);
  }

  @Test
  void benchCatchupKafkaS2MixIsTheAnchorsBacklog() {
    BenchCatchupCommand cmd =
        parse("bench", "catchup", "--record-mix", "kafka-s2", "--backlog-bytes", "256MiB");
    cmd.validate();

    List<Long> sizes = cmd.recordMix.sizes(cmd.backlogBytes, cmd.recordBytes);
    assertEquals(256L << 20, sizes.stream().mapToLong(Long::longValue).sum());
    assertEquals(
        "8 x 16.0 MiB, 28 x 4.0 MiB, 16384 x 1.0 KiB", BenchCatchupCommand.describe(sizes));
    // Interleaved, not grouped: a 16 MiB record, three of 4 MiB, then the first small ones.
    assertEquals(List.of(16L << 20, 4L << 20, 4L << 20, 4L << 20, 1024L), sizes.subList(0, 5));
    long maxBatch = Long.parseLong(cmd.settings().get("sluice.storage.max-batch-bytes"));
    assertTrue(maxBatch > 16L << 20, "max-batch-bytes " + maxBatch);
  }

  @Test
  void benchCatchupRefusesAnUnknownMixAndABacklogSmallerThanTheMixsLargestRecord() {
    CliRun unknown = CliRun.run("bench", "catchup", "--record-mix", "kafka-s9");
    assertEquals(2, unknown.exitCode(), unknown::toString);
    assertTrue(
        unknown.err().contains("--record-mix must be uniform or kafka-s2, got 'kafka-s9'"),
        unknown::toString);

    CliRun small =
        CliRun.run("bench", "catchup", "--record-mix", "kafka-s2", "--backlog-bytes", "1MiB");
    assertEquals(2, small.exitCode(), small::toString);
    assertTrue(
        small.err().contains("must be at least the largest record of --record-mix kafka-s2"),
        small::toString);
  }

  @Test
  void benchProduceDefaults() {
    BenchProduceCommand cmd = parse("bench", "produce");

    assertNull(cmd.sessionOptions.dataDir);
    assertEquals(7900, cmd.sessionOptions.basePort);
    assertEquals(Duration.ofMinutes(20), cmd.sessionOptions.timeout);

    assertEquals(2000, cmd.records);
    assertEquals(64L << 10, cmd.recordBytes);
    assertEquals(4, cmd.concurrency);
    assertEquals(3, cmd.replicas);
    assertNull(cmd.server);
    assertEquals(LocalClusterLayout.Security.SECURE, cmd.tls, "TLS on, as local-cluster");
    assertEquals(
        LocalClusterLayout.Security.INSECURE,
        DemoAndBenchOptionsTest.<BenchProduceCommand>parse("bench", "produce", "--tls", "OFF").tls);
  }

  @Test
  void benchProduceAgainstAServerTakesItsCaAndTokenLikeEveryClientCommand() throws IOException {
    Path ca = tmp.resolve("missing-ca.pem");
    CliRun run =
        CliRun.runWithEnv(
            java.util.Map.of(),
            "bench",
            "produce",
            "--server",
            "https://127.0.0.1:1",
            "--ca-file",
            ca.toString(),
            "--token",
            "sluice_x");

    // The CA file is read while the client is built, before anything is sent.
    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(run.err().contains(ca.toString()), run::toString);
    assertTrue(run.err().contains("(from --ca-file)"), run::toString);
  }

  @Test
  void sizesMeanWhatTheyMeanInANodesConfig() {
    assertEquals(1024, Sizes.parse("1KiB"));
    assertEquals(1024, Sizes.parse("1k"));
    assertEquals(64L << 20, Sizes.parse("64MiB"));
    assertEquals(64L << 20, Sizes.parse("64m"));
    assertEquals(1L << 30, Sizes.parse("1GiB"));
    assertEquals(12345, Sizes.parse("12345"));
    assertEquals(64_000_000, Sizes.parse("64MB"));
    assertEquals(1000, Sizes.parse("1kB"));
    IllegalArgumentException refused =
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("64mb"));
    assertTrue(refused.getMessage().startsWith("'64mb' is not a size"), refused.getMessage());
    assertEquals("1 MiB - 1", Sizes.describe((1 << 20) - 1));
    assertEquals("1 MiB + 1", Sizes.describe((1 << 20) + 1));
    assertEquals("64 MiB", Sizes.describe(64 << 20));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "demo --base-port 0",
        "demo --base-port 65530",
        "demo --base-port x",
        "demo --timeout 0",
        "demo --timeout soon",
        "demo extra-argument",
        "bench catchup --record-bytes 0",
        "bench catchup --record-bytes 2GiB",
        "bench catchup --record-bytes 64 --backlog-bytes 63",
        "bench catchup --backlog-bytes lots",
        "bench catchup --peer-max-bytes 100",
        "bench catchup --follower-heap big",
        "bench catchup --base-port 65530",
        "bench produce --records 0",
        "bench produce --record-bytes 0",
        "bench produce --record-bytes 1GiB",
        "bench produce --concurrency 0",
        "bench produce --warmup -1",
        "bench produce --replicas 4",
        "bench produce --server ftp://x",
        "bench produce --base-port -5",
        "bench produce --tls maybe",
        "bench produce --ca-file ca.pem",
        "bench produce --token-file admin.token",
        "bench produce --server https://127.0.0.1:1 --tls off",
        "bench catchup --tls maybe",
      })
  void invalidOptionsAreUsageErrorsBeforeAnythingIsWritten(String args) throws IOException {
    List<String> argv = new ArrayList<>(List.of(args.split(" ")));
    if (!args.contains("--server")) {
      argv.addAll(List.of("--data-dir", tmp.resolve("cluster").toString()));
    }

    CliRun run = CliRun.run(argv.toArray(String[]::new));

    assertEquals(2, run.exitCode(), run::toString);
    assertFalse(run.err().isBlank(), run::toString);
    assertFalse(Files.exists(tmp.resolve("cluster")), "nothing written");
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(Optional.empty(), files.findAny());
    }
  }

  @Test
  void messagesNameTheOptionAndTheValue() {
    CliRun run = CliRun.run("bench", "catchup", "--record-bytes", "64", "--backlog-bytes", "63");

    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(
        run.err().contains("--backlog-bytes (63) must be at least --record-bytes (64)"),
        run::toString);
  }

  @Test
  void aNonEmptyDataDirIsRefusedBeforeAnyNodeStarts() throws IOException {
    Files.writeString(tmp.resolve("something"), "x");

    CliRun run = CliRun.run("demo", "--data-dir", tmp.toString(), "--base-port", "27800");

    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(
        run.err()
            .startsWith("error: --data-dir " + tmp.toAbsolutePath().normalize() + " is not empty"),
        run::toString);
    assertFalse(Files.exists(tmp.resolve("node-1")));
  }

  @Test
  void gcLogPeaksAreTheLargestBeforeAndAfterFigures() {
    Optional<DemoGcLog.HeapPeaks> peaks =
        DemoGcLog.parse(
            List.of(
                "[0.010s][info][gc] Using G1",
                "[1.2s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 25M->3M(256M)"
                    + " 3.4ms",
                "[2.5s][info][gc] GC(1) Pause Young (Normal) (G1 Evacuation Pause) 90M->40M(256M)"
                    + " 5.0ms",
                "[3.0s][info][gc] GC(2) Pause Full (System.gc()) 60M->12M(300M) 20.0ms",
                "[3.1s][info][gc] GC(3) Pause Young 512K->100K(1G) 1.0ms"));

    assertEquals(Optional.of(new DemoGcLog.HeapPeaks(90L << 20, 40L << 20, 1L << 30, 4)), peaks);
    assertEquals(Optional.empty(), DemoGcLog.parse(List.of("[0.010s][info][gc] Using G1")));
  }

  @Test
  void logCheckReportsTheFirstDifferingByte(@TempDir Path a, @TempDir Path b) throws IOException {
    Files.write(a.resolve("00000000000000000000.log"), new byte[] {1, 2, 3, 4});
    Files.write(b.resolve("00000000000000000000.log"), new byte[] {1, 2, 3, 4});
    assertEquals(List.of(), DemoLogCheck.differences(a, b));

    Files.write(b.resolve("00000000000000000000.log"), new byte[] {1, 2, 9, 4});
    List<String> problems = DemoLogCheck.differences(a, b);
    assertEquals(1, problems.size(), problems::toString);
    assertTrue(problems.get(0).contains("from byte 2"), problems::toString);

    Files.write(b.resolve("00000000000000000004.log"), new byte[] {5});
    assertEquals(2, DemoLogCheck.differences(a, b).size());
  }

  @SuppressWarnings("unchecked")
  private static <T> T parse(String... args) {
    CommandLine cmd =
        SluiceCli.commandLine(
            new SluiceCli(System.in, false),
            new PrintWriter(new StringWriter()),
            new PrintWriter(new StringWriter()));
    CommandLine.ParseResult result = cmd.parseArgs(args);
    while (result.hasSubcommand()) {
      result = result.subcommand();
    }
    return (T) result.commandSpec().userObject();
  }
}
