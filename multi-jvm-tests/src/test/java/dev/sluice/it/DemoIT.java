package dev.sluice.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SecuritySettings;
import dev.sluice.config.SluiceConfigLoader;
import dev.sluice.config.SluiceSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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

/**
 * {@code sluice demo} as a user runs it: one CLI JVM that starts three node JVMs, replays the
 * incident of docs/incident.md (a follower restarted after records of up to 64 MiB, far above the 1
 * MiB frame limit) and ends on its own with PASS and exit code 0, having stopped every node.
 *
 * <p>The demo runs in the local cluster's secure default: TLS on every listener with a CA and node
 * certificates it creates under {@code DIR/security}, bearer tokens on the API.
 */
class DemoIT {

  private static final int NODES = 3;

  /** Ports P to P+23; searched upwards from here, away from the defaults and the other ITs. */
  private static final int FIRST_CANDIDATE_PORT = 28800;

  private static final int PORTS_USED = 24;

  /** The demo's own --timeout; the test waits a little longer for it to clean up and exit. */
  private static final Duration DEMO_TIMEOUT = Duration.ofMinutes(8);

  @TempDir Path dir;

  private Process demo;
  private Thread drain;
  private final List<String> output = new ArrayList<>();
  private final List<ProcessHandle> children = new ArrayList<>();

  @AfterEach
  void killEverything() {
    if (demo != null) {
      children.addAll(demo.descendants().toList());
      demo.destroyForcibly();
    }
    for (int id = 1; id <= NODES; id++) {
      Path pidFile = dir.resolve("cluster").resolve("node-" + id).resolve("pid");
      try {
        long pid = Long.parseLong(Files.readString(pidFile, UTF_8).trim());
        ProcessHandle.of(pid).ifPresent(children::add);
      } catch (IOException | NumberFormatException e) {
        // No pid file: the demo stopped that node (or never started it).
      }
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  void demoReplaysTheIncidentAndEndsWithIdenticalReplicasAndExitZero() throws Exception {
    Path data = dir.resolve("cluster");
    demo = start(data, freeBasePort());

    // Node JVMs are children of the demo JVM; remember them while it runs, for the clean-up.
    boolean exited = false;
    long deadline = System.nanoTime() + DEMO_TIMEOUT.plus(Duration.ofMinutes(3)).toNanos();
    while (!exited && System.nanoTime() < deadline) {
      demo.descendants().filter(p -> !children.contains(p)).forEach(children::add);
      exited = demo.waitFor(1, TimeUnit.SECONDS);
    }
    assertTrue(exited, () -> "demo still running\n" + output());
    drain.join(TimeUnit.SECONDS.toMillis(10));

    String text = output();
    assertEquals(0, demo.exitValue(), text);
    assertTrue(text.contains("PASS: all 3 replicas hold identical logs"), text);
    for (int step = 1; step <= 7; step++) {
      assertTrue(text.contains("\n" + step + ". "), "step " + step + " printed\n" + text);
    }
    assertTrue(text.contains("64 MiB"), text);
    assertTrue(text.contains("all nodes stopped"), text);
    assertTrue(
        text.contains("security: TLS on every listener, bearer tokens"),
        "the demo names its secure mode\n" + text);
    assertFalse(text.contains("--insecure"), text);
    Path security = data.resolve("security");
    for (String file : List.of("ca.pem", "admin.token", "tokens.conf", "node-1.p12")) {
      assertTrue(Files.isRegularFile(security.resolve(file)), "no " + file + " in " + security);
    }
    for (int id = 1; id <= NODES; id++) {
      SecuritySettings settings =
          SluiceSettings.from(
                  SluiceConfigLoader.load(
                      data.resolve("node-" + id).resolve("node.conf"), Map.of()))
              .security();
      assertTrue(settings.tls().enabled(), "node " + id + " runs TLS: " + settings);
      assertEquals(
          SecuritySettings.AuthMode.TOKENS, settings.api().auth(), "node " + id + ": " + settings);
    }
    for (ProcessHandle child : children) {
      assertTrue(
          child.onExit().get(30, TimeUnit.SECONDS) != null && !child.isAlive(),
          "child " + child.pid() + " stopped");
    }
    for (int id = 1; id <= NODES; id++) {
      assertFalse(Files.exists(data.resolve("node-" + id).resolve("pid")), "pid file of " + id);
    }
  }

  private Process start(Path data, int basePort) throws IOException {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.sluice.tools.SluiceCli",
            "demo",
            "--base-port",
            String.valueOf(basePort),
            "--data-dir",
            data.toString(),
            "--timeout",
            DEMO_TIMEOUT.toSeconds() + "s");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // Small heaps and a quick JIT: three node JVMs share two cores with the build.
    builder
        .environment()
        .put("SLUICE_NODE_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    Process process = builder.start();
    process.getOutputStream().close();
    drain =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  System.out.println("[demo] " + line);
                  synchronized (output) {
                    output.add(line);
                  }
                }
              } catch (IOException e) {
                // The demo was killed; its output ends here.
              }
            },
            "demo-output");
    drain.setDaemon(true);
    drain.start();
    return process;
  }

  private String output() {
    synchronized (output) {
      return String.join("\n", output);
    }
  }

  /** The first base port from which all 24 ports the demo's three nodes use are free now. */
  private static int freeBasePort() {
    for (int base = FIRST_CANDIDATE_PORT; base < 60_000; base += 100) {
      if (allFree(base)) {
        return base;
      }
    }
    throw new IllegalStateException("no 24 free consecutive ports from " + FIRST_CANDIDATE_PORT);
  }

  private static boolean allFree(int base) {
    for (int port = base; port < base + PORTS_USED; port++) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress("127.0.0.1", port));
      } catch (IOException busy) {
        return false;
      }
    }
    return true;
  }
}
