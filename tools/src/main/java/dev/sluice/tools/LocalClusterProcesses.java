package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.config.ClusterSettings;
import dev.sluice.node.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The node JVMs of a {@code local-cluster}: starts them, notices when one exits, and stops them
 * all. Once it watches them ({@link #watchExits}), it is their supervisor as systemd is for the
 * release's unit: a node that halts itself with {@link #EXIT_HALTED} (its actor system hung in
 * shutdown after its logs were closed) is started again at once; any other exit is reported and
 * left to the operator.
 *
 * <p>Thread-safety: the command's thread starts nodes while the shutdown hook may stop them, and
 * exit notifications arrive on the JDK's process reaper threads; the set of started nodes and the
 * "stopping" flag are guarded by {@code this}, so that no node is started after {@link #stopAll}
 * took its list.
 */
final class LocalClusterProcesses {

  /**
   * Replaces the node JVM options (default {@value #PLAINTEXT_JAVA_OPTS} for a plaintext cluster,
   * {@value #TLS_JAVA_OPTS} with TLS).
   */
  static final String JAVA_OPTS_ENV = "SLUICE_NODE_JAVA_OPTS";

  /**
   * A plaintext cluster's nodes compile with C1 only ({@code TieredStopAtLevel=1}): a local cluster
   * puts three or more node JVMs and the CLI on the same cores, and C2's compilations of a freshly
   * started node (thousands per JVM, still running after a minute) took about 40 % of a 2-core
   * machine in produce runs and twice the CPU of a restarted follower's appends during its
   * catch-up. With C1 alone the nodes produced 50 MiB/s sustained over 2 GiB where C1 and C2
   * reached 32 MiB/s (docs/benchmarks.md, "JIT").
   *
   * <p>Both keep G1's young generation at most 32 MiB ({@code MaxNewSize}): a node's live heap is
   * about 22 MiB, and with G1 sizing the young generation itself (up to about 190 MiB before a
   * collection) a restarted follower caught up at 93-102 MiB/s and was in sync 4.6-6.1 s after its
   * launch; with the cap, 129-143 MiB/s and 3.9-4.4 s, and produce no slower (docs/benchmarks.md,
   * "A young generation of 32 MiB").
   */
  static final String PLAINTEXT_JAVA_OPTS = "-Xmx512m -XX:MaxNewSize=32m -XX:TieredStopAtLevel=1";

  /**
   * A cluster with TLS keeps C2 for the JDK's crypto alone ({@link CryptoOnlyC2}, options added at
   * each start since they name a file in the node's directory): the JDK's AES-GCM runs on the
   * processor's AES and carry-less multiply instructions only in C2-compiled code (intrinsics C1
   * lacks); with C1 alone every byte was encrypted and authenticated in plain Java, and TLS produce
   * and catch-up ran at half the speed they reach with C2 (docs/benchmarks.md, "TLS and the JIT"),
   * while C2 for every method cost a third of the nodes' CPU in compilations.
   */
  static final String TLS_JAVA_OPTS = "-Xmx512m -XX:MaxNewSize=32m";

  /** The node JVM options when {@value #JAVA_OPTS_ENV} gives none. */
  static String defaultJavaOpts(boolean tls) {
    return tls ? TLS_JAVA_OPTS : PLAINTEXT_JAVA_OPTS;
  }

  /** The help text's line on the node JVM options. */
  static final String JAVA_OPTS_HELP =
      "Node JVM options: env "
          + JAVA_OPTS_ENV
          + " (default "
          + PLAINTEXT_JAVA_OPTS
          + " for a plaintext cluster, "
          + TLS_JAVA_OPTS
          + " with TLS, plus C2 for the JDK's crypto only: node-K/"
          + CryptoOnlyC2.FILE_NAME
          + ").";

  /** The exit code of a node that asks to be started again ({@code ShutdownGuard}). */
  static final int EXIT_HALTED = 70;

  /**
   * Keeps the server H2 starts for the shared controller journal (AUTO_SERVER) on loopback: by
   * default H2 binds it on every interface.
   */
  static final String H2_BIND_ADDRESS = "-Dh2.bindAddress=127.0.0.1";

  /** The option of {@link #startFirst}: the node forms a new cluster at once. */
  static final String FORM_NEW_CLUSTER = "-D" + ClusterSettings.FORM_NEW_CLUSTER + "=on";

  private static final int LOG_TAIL_LINES = 25;
  private static final long LOG_TAIL_BYTES = 16 * 1024;

  private final PrintWriter out;
  private final PrintWriter err;
  private final String javaOpts;
  private final String mainClass;

  /** Whether the nodes get {@link CryptoOnlyC2}: TLS with the default options. */
  private final boolean cryptoOnlyC2;

  private final Map<Integer, Process> started = new LinkedHashMap<>();

  /** The node JVM options of each node's restart after it halted. */
  private final Map<Integer, String> restartJavaOpts = new LinkedHashMap<>();

  private final CountDownLatch allExited = new CountDownLatch(1);
  private final NodeClassArchive classArchive;

  /**
   * The class sharing each node JVM started with: stopping a node hands its dump over at once, as
   * this process may exit before the JDK runs the exit callbacks.
   */
  private final Map<Process, NodeClassArchive.Launch> launches = new HashMap<>();

  private boolean stopping;

  /**
   * @param javaOpts the node JVM options of {@value #JAVA_OPTS_ENV}, or null or blank for {@link
   *     #defaultJavaOpts}
   * @param tls whether the cluster's listeners use TLS (it chooses the default options)
   */
  LocalClusterProcesses(PrintWriter out, PrintWriter err, String javaOpts, boolean tls) {
    this(out, err, javaOpts, tls, Main.class.getName());
  }

  /** Nodes that run {@code mainClass} instead of the node's {@link Main} (tests of this class). */
  LocalClusterProcesses(
      PrintWriter out, PrintWriter err, String javaOpts, boolean tls, String mainClass) {
    this.out = out;
    this.err = err;
    boolean defaults = javaOpts == null || javaOpts.isBlank();
    this.javaOpts = defaults ? defaultJavaOpts(tls) : javaOpts;
    this.cryptoOnlyC2 = defaults && tls;
    this.mainClass = mainClass;
    this.classArchive = NodeClassArchive.forThisProcess(this.javaOpts);
  }

  /**
   * The command line of a node JVM: this JVM's java and class path, {@link #H2_BIND_ADDRESS}
   * (before the options, so that theirs wins), the node's main class and its config file (which
   * {@link LocalClusterCommand} also looks for to recognise a running node).
   */
  static List<String> javaCommand(LocalClusterNode node, String javaOpts) {
    return javaCommand(node, javaOpts, Main.class.getName(), List.of());
  }

  /**
   * As {@link #javaCommand(LocalClusterNode, String)}, with {@code pathOptions} (options naming a
   * file: the {@link NodeClassArchive}'s, {@link CryptoOnlyC2}'s) before the other options, each
   * one argument (a path may hold spaces).
   */
  static List<String> javaCommand(
      LocalClusterNode node, String javaOpts, String mainClass, List<String> pathOptions) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add(H2_BIND_ADDRESS);
    command.addAll(pathOptions);
    command.addAll(Arrays.asList(javaOpts.trim().split("\\s+")));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.add(node.configFile().toString());
    return command;
  }

  /**
   * Starts a node JVM with its output appended to its log, and writes its pid file.
   *
   * @throws IllegalStateException when the cluster is already being stopped
   */
  synchronized Process start(LocalClusterNode node) throws IOException {
    return start(node, "");
  }

  /**
   * Starts the first node of a cluster none of whose nodes runs: it forms the cluster at once
   * ({@value #FORM_NEW_CLUSTER}) instead of asking the other seeds, which do not run yet, for a
   * seed-node-timeout (20 s). For this start alone: a restart of the node (after it halted) joins
   * the running nodes like any other.
   */
  synchronized Process startFirst(LocalClusterNode node) throws IOException {
    return start(node, FORM_NEW_CLUSTER, "");
  }

  /**
   * As {@link #start(LocalClusterNode)}, with JVM options for this one node after the common ones
   * (so that, e.g., its own {@code -Xmx} or {@code -Xlog} wins). Replaces the node's earlier
   * process, which must have exited.
   */
  synchronized Process start(LocalClusterNode node, String extraJavaOpts) throws IOException {
    return start(node, extraJavaOpts, extraJavaOpts);
  }

  /**
   * Starts with {@code extraJavaOpts}; a restart after the node halted gets {@code
   * restartJavaOpts}.
   */
  private synchronized Process start(
      LocalClusterNode node, String extraJavaOpts, String restartJavaOpts) throws IOException {
    if (stopping) {
      throw new IllegalStateException("local cluster is stopping; not starting node " + node.id());
    }
    Files.writeString(
        node.logFile(),
        "---- local-cluster: starting node " + node.id() + " at " + Instant.now() + " ----\n",
        UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    String options = (javaOpts + " " + extraJavaOpts).trim();
    List<String> pathOptions = new ArrayList<>();
    if (cryptoOnlyC2) {
      pathOptions.addAll(CryptoOnlyC2.options(node.dir()));
    }
    // A node's own sharing options (e.g. -Xshare:off for one node) replace the archive's.
    NodeClassArchive.Launch sharing =
        NodeClassArchive.choosesOwnSharing(extraJavaOpts)
            ? NodeClassArchive.Launch.NONE
            : classArchive.launch(node.id());
    pathOptions.addAll(sharing.options());
    Process process;
    try {
      process =
          new ProcessBuilder(javaCommand(node, options, mainClass, pathOptions))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(node.logFile().toFile()))
              .start();
    } catch (IOException | RuntimeException e) {
      classArchive.exited(sharing, NodeClassArchive.KILLED); // frees the archive for another
      throw e;
    }
    launches.put(process, sharing);
    process.onExit().thenAccept(p -> classArchive.exited(sharing, p.exitValue()));
    process.getOutputStream().close();
    started.put(node.id(), process);
    this.restartJavaOpts.put(node.id(), restartJavaOpts);
    Files.writeString(node.pidFile(), process.pid() + "\n", UTF_8);
    return process;
  }

  synchronized Optional<Process> process(int nodeId) {
    return Optional.ofNullable(started.get(nodeId));
  }

  /** The first started node whose process has exited, if any. */
  synchronized Optional<Integer> firstExited() {
    return started.entrySet().stream()
        .filter(e -> !e.getValue().isAlive())
        .map(Map.Entry::getKey)
        .findFirst();
  }

  /**
   * From now on restarts every node that halts itself with {@link #EXIT_HALTED}, reports every
   * other node that exits on its own (the others keep running), and releases {@link
   * #awaitAllExited} once none is left.
   */
  synchronized void watchExits(LocalClusterLayout layout) {
    for (Map.Entry<Integer, Process> e : started.entrySet()) {
      watch(layout.node(e.getKey()), e.getValue());
    }
  }

  private void watch(LocalClusterNode node, Process process) {
    process.onExit().thenAccept(p -> onExit(node, p));
  }

  private void onExit(LocalClusterNode node, Process process) {
    long stillRunning;
    synchronized (this) {
      if (stopping || started.get(node.id()) != process) {
        return;
      }
      if (process.exitValue() == EXIT_HALTED && restart(node, process)) {
        return;
      }
      stillRunning = started.values().stream().filter(Process::isAlive).count();
    }
    err.printf(
        "node %d (pid %d) exited with code %d%s%n  log: %s%n  restart it by hand: %s%n",
        node.id(),
        process.pid(),
        process.exitValue(),
        stillRunning > 0 ? "; the other nodes keep running" : "",
        node.logFile(),
        node.restartCommand());
    err.flush();
    deleteQuietly(node.pidFile());
    if (stillRunning == 0) {
      allExited.countDown();
    }
  }

  /**
   * Starts a node that halted itself again, with the options it had; false (and a line saying why)
   * when it cannot be started.
   */
  private boolean restart(LocalClusterNode node, Process halted) {
    try {
      Process again = start(node, restartJavaOpts.getOrDefault(node.id(), ""));
      watch(node, again);
      err.printf(
          "node %d (pid %d) exited with code %d: its actor system hung while shutting down after"
              + " its logs were closed; restarted it as pid %d%n  log: %s%n",
          node.id(), halted.pid(), EXIT_HALTED, again.pid(), node.logFile());
      err.flush();
      return true;
    } catch (IOException | RuntimeException e) {
      err.printf(
          "node %d exited with code %d and could not be restarted: %s%n",
          node.id(), EXIT_HALTED, e);
      err.flush();
      return false;
    }
  }

  /** Blocks until every node has exited on its own (never, while they run normally). */
  void awaitAllExited() throws InterruptedException {
    allExited.await();
  }

  /**
   * Stops every node: SIGTERM (the node leaves the cluster gracefully), then SIGKILL for those
   * still running after {@code grace}. Removes the pid files. Idempotent.
   */
  void stopAll(LocalClusterLayout layout, Duration grace) {
    Map<Integer, Process> toStop;
    synchronized (this) {
      stopping = true;
      toStop = new LinkedHashMap<>(started);
    }
    List<Integer> running =
        toStop.entrySet().stream()
            .filter(e -> e.getValue().isAlive())
            .map(Map.Entry::getKey)
            .toList();
    if (!running.isEmpty()) {
      out.printf("stopping node%s %s (SIGTERM)…%n", running.size() == 1 ? "" : "s", running);
      out.flush();
    }
    toStop.values().forEach(Process::destroy);
    long deadline = System.nanoTime() + grace.toNanos();
    for (Map.Entry<Integer, Process> e : toStop.entrySet()) {
      Process process = e.getValue();
      if (!waitFor(process, Duration.ofNanos(deadline - System.nanoTime()))) {
        out.printf(
            "node %d (pid %d) did not stop within %ds; killing it%n",
            e.getKey(), process.pid(), grace.toSeconds());
        out.flush();
        process.destroyForcibly();
        waitFor(process, Duration.ofSeconds(10));
      }
    }
    toStop.values().forEach(this::handOverArchive);
    for (LocalClusterNode node : layout.nodes()) {
      if (toStop.containsKey(node.id())) {
        deleteQuietly(node.pidFile());
      }
    }
    if (!running.isEmpty()) {
      out.println("all nodes stopped");
      out.flush();
    }
  }

  /**
   * Stops one node as an operator would: SIGTERM (it leaves the cluster gracefully), SIGKILL if it
   * still runs after {@code grace}. The other nodes keep running; {@link #start} may start it
   * again.
   *
   * @return whether it stopped on SIGTERM (false: it had to be killed, or was not running)
   */
  boolean stop(LocalClusterNode node, Duration grace) {
    Optional<Process> process = process(node.id());
    if (process.isEmpty() || !process.get().isAlive()) {
      return false;
    }
    process.get().destroy();
    boolean graceful = waitFor(process.get(), grace);
    if (!graceful) {
      process.get().destroyForcibly();
      waitFor(process.get(), Duration.ofSeconds(10));
    }
    handOverArchive(process.get());
    deleteQuietly(node.pidFile());
    return graceful;
  }

  /** Lets the class archive take the dump of a node JVM that has exited, if it made one. */
  private void handOverArchive(Process process) {
    NodeClassArchive.Launch launch;
    synchronized (this) {
      launch = launches.get(process);
    }
    if (launch != null && !process.isAlive()) {
      classArchive.exited(launch, process.exitValue());
    }
  }

  private static boolean waitFor(Process process, Duration timeout) {
    try {
      return process.waitFor(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  /** The last lines of a log file, for an error message; a note if it cannot be read. */
  static String tail(Path log) {
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long start = Math.max(0, file.length() - LOG_TAIL_BYTES);
      byte[] bytes = new byte[(int) (file.length() - start)];
      file.seek(start);
      file.readFully(bytes);
      List<String> lines = new String(bytes, UTF_8).lines().toList();
      if (start > 0 && !lines.isEmpty()) {
        lines = lines.subList(1, lines.size()); // the first line is probably cut
      }
      List<String> last = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
      return "  | " + String.join("\n  | ", last);
    } catch (IOException e) {
      return "  (cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A stale pid file is harmless: the next run checks whether the process is alive.
    }
  }
}
