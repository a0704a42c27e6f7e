package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The options of {@code local-cluster} and the checks it makes before starting any node. Nothing
 * here starts a node; {@code LocalClusterIT} in multi-jvm-tests runs a real cluster.
 */
class LocalClusterCommandTest {

  @TempDir Path tmp;

  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void killProcesses() {
    processes.forEach(Process::destroyForcibly);
  }

  @Test
  void defaultsAreThreeNodesUnderDataLocalClusterFromPort7700() {
    LocalClusterCommand cmd = parse("local-cluster");

    assertEquals(3, cmd.nodes);
    assertEquals(Path.of("data/local-cluster"), cmd.dataDir);
    assertEquals(7700, cmd.basePort);
    assertEquals(Duration.ofSeconds(120), cmd.timeout);
    assertEquals(Map.of(), cmd.settings);
  }

  @Test
  void optionsAreParsed() {
    LocalClusterCommand cmd =
        parse(
            "local-cluster",
            "--nodes",
            "5",
            "--data-dir",
            "/tmp/x",
            "--base-port",
            "27700",
            "--timeout",
            "3m",
            "--set",
            "sluice.storage.flush=os",
            "--set",
            "pekko.loglevel=DEBUG");

    assertEquals(5, cmd.nodes);
    assertEquals(Path.of("/tmp/x"), cmd.dataDir);
    assertEquals(27700, cmd.basePort);
    assertEquals(Duration.ofMinutes(3), cmd.timeout);
    assertEquals(Map.of("sluice.storage.flush", "os", "pekko.loglevel", "DEBUG"), cmd.settings);
    assertEquals(5, cmd.layout().nodes().size());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--nodes 0",
        "--nodes 10",
        "--nodes -1",
        "--nodes three",
        "--base-port 0",
        "--base-port 65500 --nodes 9",
        "--base-port 65533 --nodes 1",
        "--timeout 0",
        "--timeout soon",
        "--set sluice.api.port=9000",
        "--set sluice.cluster.seed-nodes=x",
        "--set sluice..flush=os",
        "--set novalue",
        "extra-argument",
      })
  void invalidOptionsAreUsageErrorsBeforeAnythingIsWritten(String args) {
    List<String> argv = new ArrayList<>(List.of("local-cluster", "--data-dir", tmp.toString()));
    argv.addAll(List.of(args.split(" ")));

    CliRun run = CliRun.run(argv.toArray(String[]::new));

    assertEquals(2, run.exitCode(), run::toString);
    assertFalse(run.err().isBlank(), run::toString);
    assertFalse(Files.exists(tmp.resolve("node-1")), "nothing written");
  }

  @Test
  void nodesOutOfRangeSaysWhatIsAllowed() {
    CliRun run = CliRun.run("local-cluster", "--data-dir", tmp.toString(), "--nodes", "12");

    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(run.err().contains("--nodes must be between 1 and 9, got 12"), run::toString);
  }

  @Test
  void insecureOnANetworkAddressIsAUsageErrorNamingTheWayOut() {
    CliRun run =
        CliRun.run(
            "local-cluster",
            "--data-dir",
            tmp.toString(),
            "--insecure",
            "--set",
            "sluice.node.host=192.168.1.20");

    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(
        run.err()
            .contains(
                "--insecure with --set sluice.node.host=192.168.1.20: not a loopback address"),
        run::toString);
    assertTrue(
        run.err().contains("--set sluice.security.allow-plaintext-on-network=on"), run::toString);
    assertFalse(Files.exists(tmp.resolve("node-1")), "nothing written");
  }

  @Test
  void securityKeysCannotBeSetBecauseTheLayoutWritesThem() {
    CliRun run =
        CliRun.run(
            "local-cluster",
            "--data-dir",
            tmp.toString(),
            "--set",
            "sluice.security.api.auth=none");

    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(
        run.err().contains("use --insecure for plaintext listeners without tokens"), run::toString);
  }

  @Test
  void aLiveNodeProcessInAPidFileIsRefused() throws IOException {
    LocalClusterLayout layout = LocalClusterLayout.of(tmp, 1, 7700, Map.of());
    layout.writeConfigs();
    // A stand-in with the node's config file on its command line, as a real node has.
    Process fake =
        new ProcessBuilder("sh", "-c", "sleep 60", layout.node(1).configFile().toString()).start();
    processes.add(fake);
    Files.writeString(layout.node(1).pidFile(), fake.pid() + "\n");

    CliRun run = CliRun.run("local-cluster", "--data-dir", tmp.toString(), "--nodes", "1");

    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(
        run.err()
            .startsWith("error: node 1 already running as pid " + fake.pid() + "; stop it first"),
        run::toString);
    assertTrue(fake.isAlive());
  }

  @Test
  void aBusyPortIsReportedBeforeAnyNodeStarts() throws IOException, InterruptedException {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      int port = taken.getLocalPort();

      CliRun run =
          CliRun.run(
              "local-cluster",
              "--data-dir",
              tmp.toString(),
              "--nodes",
              "1",
              "--base-port",
              String.valueOf(port));

      assertEquals(1, run.exitCode(), run::toString);
      assertTrue(
          run.err().startsWith("error: port " + port + " (API of node 1) on 127.0.0.1"),
          run::toString);
      assertFalse(Files.exists(tmp.resolve("node-1").resolve("pid")));
      assertFalse(Files.exists(tmp.resolve("security")), "no keytool work for a failed start");
    }
  }

  @Test
  void aStalePidFileIsNotARunningNode() throws IOException, InterruptedException {
    Process gone = new ProcessBuilder("true").start();
    assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
    LocalClusterLayout layout = LocalClusterLayout.of(tmp, 1, 7700, Map.of());
    layout.writeConfigs();
    Files.writeString(layout.node(1).pidFile(), gone.pid() + "\n");
    // Make the start fail right after the pid check, without starting a node.
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      CliRun run =
          CliRun.run(
              "local-cluster",
              "--data-dir",
              tmp.toString(),
              "--nodes",
              "1",
              "--base-port",
              String.valueOf(taken.getLocalPort()));

      assertTrue(run.err().startsWith("error: port "), run::toString);
      assertFalse(Files.exists(layout.node(1).pidFile()), "stale pid file removed");
    }
  }

  private static LocalClusterCommand parse(String... args) {
    CommandLine cmd =
        SluiceCli.commandLine(
            new SluiceCli(System.in, false),
            new PrintWriter(new StringWriter()),
            new PrintWriter(new StringWriter()));
    cmd.parseArgs(args);
    return cmd.getSubcommands().get("local-cluster").getCommand();
  }
}
