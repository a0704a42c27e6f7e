package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.SettingsException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openjdk.jmh.runner.options.Options;
import picocli.CommandLine;

/** Usage errors exit 2 before anything is sent; nothing here needs a server. */
class UsageTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "frobnicate",
        "topic",
        "topic create orders --partitions 1",
        "topic create orders --partitions x --replicas 1",
        "consume orders --from 0",
        "consume orders --partition 0",
        "consume orders --partition 0 --from -1 --count 1",
        "produce",
        "produce orders --acks some",
        "produce orders --value a --value-file b",
        "produce orders --partition -1 --value a",
        "produce orders --key ключ --value a",
        "produce orders --value a --server ftp://example.com",
        "status --interval 0",
        "status --watch --count 0",
        "bench",
        "bench append --batch-bytes 10",
        "bench append --batch-bytes 2GiB",
        "bench append --total-bytes 0",
        "bench append --total-bytes 64mb",
        "bench append --flush never",
        "bench append --iterations 0",
      })
  void usageErrorsExitTwo(String args) {
    CliRun run = CliRun.run(args.isEmpty() ? new String[0] : args.split(" "));

    assertEquals(2, run.exitCode(), run::toString);
    assertFalse(run.err().isBlank(), "the problem is explained on stderr");
    assertEquals("", run.out());
  }

  @Test
  void helpExitsZero() {
    CliRun run = CliRun.run("help", "produce");

    assertEquals(0, run.exitCode(), run::toString);
    assertTrue(run.out().contains("--value-file"), run::toString);
  }

  @Test
  void nodeTakesSettingOverridesAsDashD() {
    CommandLine cmd = newCommandLine(new StringWriter());

    cmd.parseArgs(
        "node", "--config", "node.conf", "-Dsluice.api.port=7701", "-Dpekko.loglevel=DEBUG");

    NodeCommand node = cmd.getSubcommands().get("node").getCommand();
    assertEquals("node.conf", node.config.toString());
    assertEquals(Map.of("sluice.api.port", "7701", "pekko.loglevel", "DEBUG"), node.overrides);
  }

  @Test
  void benchAppendHandsItsOptionsToTheJmhRun() {
    CommandLine cmd = newCommandLine(new StringWriter());

    cmd.parseArgs(
        "bench",
        "append",
        "--dir",
        "/tmp/b",
        "--batch-bytes",
        "1m",
        "--total-bytes",
        "64MiB",
        "--flush",
        "every-batch");

    BenchAppendCommand append =
        cmd.getSubcommands().get("bench").getSubcommands().get("append").getCommand();
    Options options = append.options();
    assertEquals(List.of("1048576"), List.copyOf(options.getParameter("batchBytes").get()));
    assertEquals(List.of("67108864"), List.copyOf(options.getParameter("totalBytes").get()));
    assertEquals(List.of("every-batch"), List.copyOf(options.getParameter("flush").get()));
    assertEquals(List.of("/tmp/b"), List.copyOf(options.getParameter("dir").get()));
    assertEquals(64, options.getOperationsPerInvocation().get());
    assertEquals(1, options.getForkCount().get());
    assertEquals(3, options.getMeasurementIterations().get());
  }

  @Test
  void benchAppendDefaultsAreOneMibBatchesAQuarterGibAndThePageCache() {
    CommandLine cmd = newCommandLine(new StringWriter());

    cmd.parseArgs("bench", "append");

    BenchAppendCommand append =
        cmd.getSubcommands().get("bench").getSubcommands().get("append").getCommand();
    assertEquals(1L << 20, append.batchBytes);
    assertEquals(256L << 20, append.totalBytes);
    assertEquals(FlushPolicy.OS, append.flush);
    assertEquals(
        List.of(Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().toString()),
        List.copyOf(append.options().getParameter("dir").get()));
  }

  @Test
  void aMissingConfigFileIsASettingsErrorExitingOne() {
    CliRun run = CliRun.run("node", "--config", "/no/such/node.conf");

    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(run.err().startsWith("error: invalid Sluice configuration"), run::toString);
    assertTrue(run.err().contains("/no/such/node.conf"), run::toString);
  }

  @Test
  void aSettingsExceptionPrintsEveryViolationAndExitsOne() {
    StringWriter err = new StringWriter();
    CommandLine cmd = newCommandLine(err);

    int code =
        new ErrorReporter()
            .handleExecutionException(
                new SettingsException(List.of("a = 1: too small", "b = 2: too big")), cmd, null);

    assertEquals(1, code);
    assertEquals(
        "error: invalid Sluice configuration (2 problems):\n  a = 1: too small\n  b = 2: too big\n",
        err.toString());
  }

  private static CommandLine newCommandLine(StringWriter err) {
    return SluiceCli.commandLine(
        new SluiceCli(System.in, false),
        new PrintWriter(new StringWriter()),
        new PrintWriter(err, true));
  }
}
