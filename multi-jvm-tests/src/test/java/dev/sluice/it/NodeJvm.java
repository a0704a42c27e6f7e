package dev.sluice.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A Sluice node running in its own JVM, started the way an operator starts one ({@code SluiceCli
 * node --config FILE}). Output is drained by a thread (a full pipe would block the node) and kept
 * for conditions such as "the node logged that it is up".
 */
final class NodeJvm implements AutoCloseable {
  private final Path config;
  private final String name;
  private final List<String> output = new CopyOnWriteArrayList<>();
  private Process process;

  NodeJvm(String name, Path config) {
    this.name = name;
    this.config = config;
  }

  /** A port that was free a moment ago. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  NodeJvm start(String... jvmOptions) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of(jvmOptions));
    cmd.addAll(
        List.of(
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.sluice.node.cli.SluiceCli",
            "node",
            "--config",
            config.toString()));
    output.clear();
    process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Thread drain =
        new Thread(
            () -> {
              PrintStream echo = System.out;
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  output.add(line);
                  echo.println("[" + name + "] " + line);
                }
              } catch (IOException e) {
                // the process died; its output ends here
              }
            },
            name + "-output");
    drain.setDaemon(true);
    drain.start();
    return this;
  }

  /** Waits for an output line containing {@code text}; fails early if the JVM exits. */
  void awaitOutput(String text, Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (output.stream().noneMatch(l -> l.contains(text))) {
      if (!process.isAlive()) {
        throw new AssertionError(
            name + " exited with " + process.exitValue() + " before logging \"" + text + "\"");
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(name + " did not log \"" + text + "\" within " + timeout);
      }
      process.waitFor(50, TimeUnit.MILLISECONDS);
    }
  }

  /** SIGKILL: no shutdown hooks, no flush; what the node acknowledged must survive this. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM: the node leaves the cluster and closes its logs (CoordinatedShutdown). */
  int stop(Duration timeout) throws InterruptedException {
    process.destroy();
    return awaitExit(timeout);
  }

  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " still running after " + timeout);
    }
    return process.exitValue();
  }

  List<String> output() {
    return output;
  }

  static Path writeConfig(Path file, String hocon) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, hocon);
    return file;
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      kill9();
    }
  }
}
