package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * local-cluster as the supervisor of its node JVMs, on tiny stand-in JVMs ({@link HaltOnceNode}): a
 * node that halts itself with 70 is started again, any other exit is reported and left alone.
 */
class LocalClusterProcessesTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path tmp;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final LocalClusterProcesses processes = standIns(false);
  private LocalClusterLayout layout;

  /** Processes of stand-in nodes with the default JVM options of a cluster with or without TLS. */
  private LocalClusterProcesses standIns(boolean tls) {
    return new LocalClusterProcesses(
        new PrintWriter(out, true),
        new PrintWriter(err, true),
        "",
        tls,
        HaltOnceNode.class.getName());
  }

  @AfterEach
  void stopNodes() {
    processes.stopAll(layout, Duration.ofSeconds(10));
  }

  private LocalClusterNode node(String mode) throws Exception {
    layout = LocalClusterLayout.of(tmp, 1, 7700, Map.of());
    LocalClusterNode node = layout.node(1);
    Files.createDirectories(node.dir());
    Files.writeString(node.configFile(), mode);
    return node;
  }

  @Test
  void aNodeThatHaltsWith70IsStartedAgainWithALogLine() throws Exception {
    LocalClusterNode node = node("halt-once");
    long first = processes.start(node).pid();
    processes.watchExits(layout);

    awaitCondition(
        () -> log(node).contains(HaltOnceNode.RUNNING + 2) && err.toString().contains("restarted"),
        "the second start runs and the restart is reported");
    Process again = processes.process(1).orElseThrow();
    assertNotEquals(first, again.pid());
    assertTrue(again.isAlive());
    assertTrue(
        err.toString().contains("node 1 (pid " + first + ") exited with code 70"), err.toString());
    assertTrue(err.toString().contains("restarted it as pid " + again.pid()), err.toString());
    assertEquals(again.pid() + "", Files.readString(node.pidFile()).trim());
  }

  @Test
  void theFirstNodeFormsTheClusterOnItsFirstStartAloneNotWhenRestarted() throws Exception {
    LocalClusterNode node = node("halt-once");
    processes.startFirst(node);
    processes.watchExits(layout);

    awaitCondition(() -> log(node).contains(HaltOnceNode.RUNNING + 2), "the second start runs");
    assertTrue(log(node).contains(HaltOnceNode.FORMS + "1: on"), log(node));
    assertTrue(log(node).contains(HaltOnceNode.FORMS + "2: unset"), log(node));
  }

  @Test
  void plaintextNodesCompileWithC1OnlyAndNodesWithTlsKeepC2ForTheJdksCryptoAlone()
      throws Exception {
    LocalClusterNode node = node("exit 0");
    processes.start(node).waitFor();
    standIns(true).start(node).waitFor();
    String[] starts = log(node).split(HaltOnceNode.JVM_OPTIONS);
    assertEquals(3, starts.length, log(node));
    assertTrue(starts[1].contains("-XX:TieredStopAtLevel=1"), starts[1]);
    assertTrue(starts[1].contains("-Xmx512m"), starts[1]);
    assertTrue(starts[1].contains("-XX:MaxNewSize=32m"), starts[1]);
    assertFalse(starts[1].contains("CompilerDirectivesFile"), starts[1]);
    assertFalse(starts[2].contains("TieredStopAtLevel"), starts[2]);
    assertTrue(starts[2].contains("-Xmx512m"), starts[2]);
    assertTrue(starts[2].contains("-XX:MaxNewSize=32m"), starts[2]);
    Path directives = node.dir().resolve(CryptoOnlyC2.FILE_NAME);
    assertTrue(starts[2].contains("-XX:CompilerDirectivesFile=" + directives), starts[2]);
    assertEquals(CryptoOnlyC2.DIRECTIVES, Files.readString(directives));
  }

  @Test
  void aNodeThatExitsWithAnotherCodeIsReportedAndNotRestarted() throws Exception {
    LocalClusterNode node = node("exit 3");
    processes.start(node);
    processes.watchExits(layout);

    // The last node to exit releases awaitAllExited, after the supervisor has decided.
    processes.awaitAllExited();
    assertTrue(err.toString().contains("node 1 (pid"), err.toString());
    assertTrue(err.toString().contains("exited with code 3"), err.toString());
    assertFalse(err.toString().contains("restarted"), err.toString());
    assertFalse(processes.process(1).orElseThrow().isAlive());
    assertEquals("1", Files.readString(node.dir().resolve("starts")).trim());
  }

  private static String log(LocalClusterNode node) {
    try {
      return Files.exists(node.logFile()) ? Files.readString(node.logFile()) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static void awaitCondition(BooleanSupplier condition, String what)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(TIMEOUT);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + TIMEOUT + " waiting until " + what);
      }
      Thread.sleep(50); // polling interval of a condition wait
    }
  }
}
