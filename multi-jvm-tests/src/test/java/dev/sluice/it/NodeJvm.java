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
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Sluice node running in its own JVM, started the way {@code bin/sluice node} and {@code
 * local-cluster} start one: the server's main class {@code dev.sluice.node.Main} with the node's
 * config file. Output is drained by a thread (a full pipe would block the node), echoed with a
 * {@code [name]} prefix and kept for conditions such as "the node logged that it is up".
 *
 * <p>The same object can be started again after its process ended (a restart at the same config);
 * the output of the previous process is dropped then. A process that ends without {@link #kill9} or
 * {@link #stop} ended by itself (for example, the cluster downed it), which {@link #exitedByItself}
 * reports.
 *
 * <p>Supervised ({@link #superviseHalts}), a node that halts itself with {@link #EXIT_HALTED} is
 * started again at once with the same options, as systemd's {@code RestartForceExitStatus=70} and
 * {@code local-cluster} do; any other exit is left alone, as is one this object asked for.
 *
 * <p>Thread-safety: the control methods are meant for one controlling thread at a time (a test, or
 * the nemesis); the supervisor's restart runs on a process-exit thread, so starting, killing and
 * stopping hold this object's lock, and the restart happens only while the process that halted is
 * still the current one and nobody asked it to end. The output and state queries may be called from
 * any thread.
 */
final class NodeJvm implements AutoCloseable {
  /**
   * The exit code of a node whose actor system hung while terminating after its shutdown closed
   * every log ({@code dev.sluice.node.ShutdownGuard}): it asks to be started again.
   */
  static final int EXIT_HALTED = 70;

  private final Path config;
  private final String name;
  private final String mainClass;
  private int supervisedExits;
  private final List<String> output = new ArrayList<>();
  private String[] jvmOptions = new String[0];
  private volatile Consumer<String> supervisor;
  private volatile Process process;
  private volatile boolean exitRequested;
  private volatile boolean paused;

  NodeJvm(String name, Path config) {
    this(name, config, "dev.sluice.node.Main");
  }

  /** A JVM running {@code mainClass} with {@code config} as its argument (tests of this class). */
  NodeJvm(String name, Path config, String mainClass) {
    this.name = name;
    this.config = config;
    this.mainClass = mainClass;
  }

  /** A port that was free a moment ago. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  String name() {
    return name;
  }

  /**
   * From now on, restarts the node whenever it exits by itself with {@link #EXIT_HALTED}, and tells
   * {@code restarted} what it did (a line for a log).
   */
  NodeJvm superviseHalts(Consumer<String> restarted) {
    supervisor = restarted;
    return this;
  }

  synchronized NodeJvm start(String... jvmOptions) throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(name + " is still running as pid " + process.pid());
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of(jvmOptions));
    cmd.addAll(
        List.of(
            // The H2 journal server listens on loopback only, as bin/sluice starts a node.
            "-Dh2.bindAddress=127.0.0.1",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            mainClass,
            config.toString()));
    synchronized (output) {
      output.clear();
    }
    exitRequested = false;
    paused = false;
    this.jvmOptions = jvmOptions.clone();
    Process started = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    process = started;
    PrintStream echo = System.out;
    echo.println("[" + name + "] started as pid " + started.pid());
    Thread drain =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  synchronized (output) {
                    output.add(line);
                  }
                  echo.println("[" + name + "] " + line);
                }
              } catch (IOException e) {
                // the process died; its output ends here
              }
            },
            name + "-output");
    drain.setDaemon(true);
    drain.start();
    started
        .onExit()
        .thenAccept(
            p ->
                echo.println(
                    "["
                        + name
                        + "] pid "
                        + p.pid()
                        + " exited with "
                        + p.exitValue()
                        + (exitRequested ? "" : " by itself")))
        .thenRun(() -> restartIfHalted(started));
    return this;
  }

  /** How many process exits the supervisor has looked at (each decided, restarted or not). */
  synchronized int supervisedExits() {
    return supervisedExits;
  }

  /** The supervisor: a node that halted itself to be restarted is started again. */
  private synchronized void restartIfHalted(Process exited) {
    supervisedExits++;
    Consumer<String> restarted = supervisor;
    if (restarted == null
        || exited != process
        || exitRequested
        || exited.exitValue() != EXIT_HALTED) {
      return;
    }
    try {
      start(jvmOptions);
      restarted.accept(
          name
              + " (pid "
              + exited.pid()
              + ") exited with "
              + EXIT_HALTED
              + " (its actor system hung in shutdown after its logs were closed): restarted as pid "
              + process.pid()
              + ", as its supervisor would");
    } catch (IOException | RuntimeException e) {
      restarted.accept(name + " exited with " + EXIT_HALTED + " and could not be restarted: " + e);
    }
  }

  /** Waits for an output line containing {@code text}; fails early if the JVM exits. */
  void awaitOutput(String text, Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (!hasOutput(text)) {
      Process p = process;
      if (!p.isAlive() && !beingRestarted(p)) {
        throw new AssertionError(
            name + " exited with " + p.exitValue() + " before logging \"" + text + "\"");
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(name + " did not log \"" + text + "\" within " + timeout);
      }
      p.waitFor(50, TimeUnit.MILLISECONDS);
    }
  }

  /** An exit the supervisor answers with a start (the wait goes on with the new process). */
  private boolean beingRestarted(Process exited) {
    return supervisor != null && !exitRequested && exited.exitValue() == EXIT_HALTED;
  }

  boolean hasOutput(String text) {
    synchronized (output) {
      for (String line : output) {
        if (line.contains(text)) {
          return true;
        }
      }
      return false;
    }
  }

  /** SIGKILL: no shutdown hooks, no flush; what the node acknowledged must survive this. */
  synchronized void kill9() throws InterruptedException {
    Process p = process;
    exitRequested = true;
    p.destroyForcibly();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " (pid " + p.pid() + ") survived SIGKILL for 30 s");
    }
    paused = false;
  }

  /**
   * SIGSTOP: the JVM freezes as in a long GC pause or a frozen VM; its sockets stay open and the
   * kernel keeps accepting connections for it, but nothing answers.
   */
  void pause() throws IOException, InterruptedException {
    signal("STOP");
    paused = true;
  }

  /** SIGCONT after {@link #pause}. */
  void resume() throws IOException, InterruptedException {
    signal("CONT");
    paused = false;
  }

  private void signal(String signal) throws IOException, InterruptedException {
    Process p = process;
    if (p == null || !p.isAlive()) {
      throw new IllegalStateException(name + " is not running; cannot send SIG" + signal);
    }
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + signal + " " + p.pid() + " failed for " + name);
    }
  }

  /** SIGTERM: the node leaves the cluster and closes its logs (CoordinatedShutdown). */
  synchronized int stop(Duration timeout) throws IOException, InterruptedException {
    Process p = process;
    exitRequested = true;
    if (paused && p.isAlive()) {
      resume(); // a stopped process would hold SIGTERM until it is continued
    }
    p.destroy();
    return awaitExit(timeout);
  }

  int awaitExit(Duration timeout) throws InterruptedException {
    Process p = process;
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " (pid " + p.pid() + ") still running after " + timeout);
    }
    return p.exitValue();
  }

  boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  boolean isPaused() {
    return paused && isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** The exit code if the process ended; empty while it runs or before the first start. */
  OptionalInt exitCode() {
    Process p = process;
    return p == null || p.isAlive() ? OptionalInt.empty() : OptionalInt.of(p.exitValue());
  }

  /** The process ended without this object killing or stopping it. */
  boolean exitedByItself() {
    Process p = process;
    return p != null && !p.isAlive() && !exitRequested;
  }

  /** A copy of what the current process printed so far. */
  List<String> output() {
    synchronized (output) {
      return List.copyOf(output);
    }
  }

  static Path writeConfig(Path file, String hocon) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, hocon);
    return file;
  }

  /** Kills the process if it still runs; keeps the interrupt flag if interrupted meanwhile. */
  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      try {
        kill9();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
