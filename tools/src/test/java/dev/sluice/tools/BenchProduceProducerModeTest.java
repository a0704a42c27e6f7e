package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.Compression;
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
 * {@code bench produce}'s producer mode: which options choose it, their defaults, their limits
 * (usage errors before any node starts), and the progress line and percentiles it prints.
 */
class BenchProduceProducerModeTest {

  @TempDir Path tmp;

  @Test
  void withoutProducerOptionsTheModeIsOneRequestPerRecordAsBefore() {
    BenchProduceCommand cmd = parse("bench", "produce");

    assertEquals(BenchProduceCommand.Mode.REQUESTS, cmd.mode());
    assertNull(cmd.totalBytes);
    assertEquals(256L << 10, cmd.batchBytes);
    assertEquals(5, cmd.lingerMs);
    assertEquals(1, cmd.maxInFlight);
    assertEquals(Compression.NONE, cmd.compression);
    assertTrue(cmd.producerOptions().idempotence());
  }

  @Test
  void compressionAndIdempotenceChooseTheProducerAndReachItsOptions() {
    BenchProduceCommand cmd =
        parse("bench", "produce", "--compression", "LZ4", "--idempotence", "off");

    assertEquals(BenchProduceCommand.Mode.PRODUCER, cmd.mode());
    assertEquals(Compression.LZ4, cmd.producerOptions().compression());
    assertFalse(cmd.producerOptions().idempotence());
    assertEquals(
        BenchProduceCommand.Mode.PRODUCER,
        BenchProduceProducerModeTest.<BenchProduceCommand>parse(
                "bench", "produce", "--idempotence", "on")
            .mode());
  }

  @Test
  void moreThanFiveInFlightNeedsIdempotenceOff() throws IOException {
    CliRun refused =
        CliRun.run(
            "bench",
            "produce",
            "--max-in-flight",
            "6",
            "--data-dir",
            tmp.resolve("cluster").toString());
    assertEquals(2, refused.exitCode(), refused::toString);
    assertTrue(
        refused.err().contains("--max-in-flight must be at most 5 with idempotence"),
        refused::toString);
    assertTrue(
        refused.err().contains("got 6; add --idempotence off for up to 16"), refused::toString);
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(Optional.empty(), files.findAny());
    }

    BenchProduceCommand allowed =
        parse("bench", "produce", "--max-in-flight", "16", "--idempotence", "off");
    assertEquals(16, allowed.producerOptions().maxInFlight());
  }

  @Test
  void theRequestsRowCountsDuplicatesOnlyWhenThereWereAny() {
    BenchProducerRun.Result none =
        new BenchProducerRun.Result(10, 10_240, 1, new long[0], new long[0], 2, 10, 2048, 0, 0);
    assertEquals(
        "2 batches, on average 1.0 KiB and 5.0 records; 0 failed attempts retried",
        BenchProduceCommand.requests(none, Compression.NONE));
    BenchProducerRun.Result two =
        new BenchProducerRun.Result(10, 10_240, 1, new long[0], new long[0], 2, 10, 2048, 3, 2);
    assertEquals(
        "2 batches, on average 1.0 KiB (gzip) and 5.0 records; 3 failed attempts retried; 2"
            + " retries answered as duplicate (already written, not written again)",
        BenchProduceCommand.requests(two, Compression.GZIP));
  }

  @Test
  void anyProducerOptionChoosesTheProducerAndTotalBytesGivesTheRecordCount() {
    BenchProduceCommand cmd =
        parse("bench", "produce", "--record-bytes", "1KiB", "--total-bytes", "512MiB");

    assertEquals(BenchProduceCommand.Mode.PRODUCER, cmd.mode());
    assertEquals(512L << 10, cmd.measuredRecords());
    BenchProducerRun.Options options = cmd.producerOptions();
    assertEquals(1024, options.recordBytes());
    assertEquals(256 << 10, options.batchBytes());
    assertEquals(Duration.ofMillis(5), options.linger());
    assertEquals(4, options.threads());

    BenchProduceCommand explicit =
        parse(
            "bench",
            "produce",
            "--mode",
            "producer",
            "--records",
            "300",
            "--linger-ms",
            "0",
            "--max-in-flight",
            "5",
            "--batch-bytes",
            "1MiB");
    assertEquals(BenchProduceCommand.Mode.PRODUCER, explicit.mode());
    assertEquals(300, explicit.measuredRecords());
    assertEquals(Duration.ZERO, explicit.producerOptions().linger());
    assertEquals(5, explicit.producerOptions().maxInFlight());
    assertEquals(1 << 20, explicit.producerOptions().batchBytes());
    assertEquals(
        BenchProduceCommand.Mode.PRODUCER,
        BenchProduceProducerModeTest.<BenchProduceCommand>parse(
                "bench", "produce", "--batch-bytes", "64KiB")
            .mode());
    assertEquals(
        BenchProduceCommand.Mode.REQUESTS,
        BenchProduceProducerModeTest.<BenchProduceCommand>parse(
                "bench", "produce", "--mode", "REQUESTS")
            .mode());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--mode requests --batch-bytes 64KiB",
        "--mode requests --total-bytes 1MiB",
        "--mode sometimes",
        "--records 10 --total-bytes 1MiB",
        "--batch-bytes 100",
        "--batch-bytes 9MiB",
        "--linger-ms -1",
        "--max-in-flight 0",
        "--max-in-flight 17",
        "--max-in-flight 6",
        "--max-in-flight 17 --idempotence off",
        "--compression brotli",
        "--idempotence maybe",
        "--mode requests --compression gzip",
        "--mode requests --idempotence off",
        "--total-bytes 1KiB --record-bytes 2KiB",
        "--total-bytes 64GiB --record-bytes 1KiB",
        "--mode producer --record-bytes 9MiB",
      })
  void badProducerOptionsAreUsageErrorsBeforeAnythingIsWritten(String options) throws IOException {
    List<String> argv = new ArrayList<>(List.of("bench", "produce"));
    argv.addAll(List.of(options.split(" ")));
    argv.addAll(List.of("--data-dir", tmp.resolve("cluster").toString()));

    CliRun run = CliRun.run(argv.toArray(String[]::new));

    assertEquals(2, run.exitCode(), run::toString);
    assertFalse(run.err().isBlank(), run::toString);
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(Optional.empty(), files.findAny());
    }
  }

  @Test
  void messagesNameTheOptionsAndValues() {
    CliRun both = CliRun.run("bench", "produce", "--records", "10", "--total-bytes", "1MiB");
    assertTrue(both.err().contains("give --records or --total-bytes, not both"), both::toString);

    CliRun wrongMode = CliRun.run("bench", "produce", "--mode", "requests", "--linger-ms", "3");
    assertTrue(
        wrongMode.err().contains("--linger-ms applies to --mode producer, not to --mode requests"),
        wrongMode::toString);
  }

  @Test
  void theProgressLineShowsTheShareAcknowledgedAndTheRate() {
    assertEquals(
        "      3.0s [#####               ]  25%  128.0 MiB of 512.0 MiB acknowledged, 42.7 MiB/s",
        BenchProducerRun.progressLine(3_000_000_000L, 128L << 20, 512L << 20));
  }

  @Test
  void percentilesAreNearestRankInMilliseconds() {
    long[] nanos = new long[100];
    for (int i = 0; i < 100; i++) {
      nanos[i] = (i + 1) * 1_000_000L;
    }

    assertEquals(50.0, BenchProducerRun.percentileMillis(nanos, 50));
    assertEquals(99.0, BenchProducerRun.percentileMillis(nanos, 99));
    assertEquals(100.0, BenchProducerRun.percentileMillis(nanos, 100));
    assertEquals(0.0, BenchProducerRun.percentileMillis(new long[0], 50));
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
