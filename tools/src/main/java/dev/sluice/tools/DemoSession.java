package dev.sluice.tools;

import dev.sluice.log.Directories;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The life of a throwaway cluster for {@code demo} and the cluster benchmarks: a fresh data
 * directory, an overall deadline, and the guarantee that the node JVMs stop however the command
 * ends: normally, with an error, on Ctrl-C (a shutdown hook), or when the deadline passes (a timer
 * interrupts the command, and ends the JVM if that does not help within {@link #HARD_STOP_AFTER}).
 *
 * <p>Usage: {@link #layout} (a usage error if the options do not fit), then {@link #open}, then
 * {@link #close} in a {@code finally}.
 */
final class DemoSession implements AutoCloseable {

  /** After the deadline, how long the command may take to clean up before the JVM is halted. */
  static final Duration HARD_STOP_AFTER = Duration.ofSeconds(90);

  private final Path dir;
  private final boolean temporary;
  private final DemoCluster cluster;
  private final PrintWriter out;
  private final PrintWriter err;
  private final Duration timeout;
  private final Thread hook;
  private final Thread timer;
  private volatile boolean closed;
  private boolean keepNodes;
  private boolean keepFiles;

  private DemoSession(
      Path dir,
      boolean temporary,
      LocalClusterLayout layout,
      LocalClusterSecurity.Access access,
      Duration timeout,
      PrintWriter out,
      PrintWriter err) {
    this.dir = dir;
    this.temporary = temporary;
    this.out = out;
    this.err = err;
    this.timeout = timeout;
    long deadline = System.nanoTime() + timeout.toNanos();
    this.cluster = new DemoCluster(layout, access, out, err, deadline);
    Thread command = Thread.currentThread();
    this.hook = new Thread(this::onSignal, "demo-stop");
    this.timer = new Thread(() -> onDeadline(command, deadline), "demo-timeout");
    timer.setDaemon(true);
  }

  /**
   * Checks the options without touching the disk.
   *
   * @throws IllegalArgumentException naming the bad option
   */
  static void check(
      int nodes, int basePort, Map<String, String> settings, LocalClusterLayout.Security security) {
    LocalClusterLayout.of(Path.of("unused"), nodes, basePort, settings, security);
  }

  /**
   * Creates the data directory (a fresh temporary one when {@code dataDir} is null; a given one
   * must be empty or absent), creates the cluster's CA, certificates and admin token unless {@code
   * security} is {@link LocalClusterLayout.Security#INSECURE}, and arms the shutdown hook and the
   * deadline.
   */
  static DemoSession open(
      String purpose,
      Path dataDir,
      int nodes,
      int basePort,
      Map<String, String> settings,
      LocalClusterLayout.Security security,
      Duration timeout,
      PrintWriter out,
      PrintWriter err)
      throws IOException {
    boolean temporary = dataDir == null;
    Path dir;
    if (temporary) {
      dir = Files.createTempDirectory("sluice-" + purpose + "-");
    } else {
      dir = dataDir.toAbsolutePath().normalize();
      if (Files.exists(dir) && !isEmptyDirectory(dir)) {
        throw new CliException(
            "--data-dir "
                + dir
                + " is not empty; the "
                + purpose
                + " needs a fresh cluster: pass a new or empty directory (or none: a temporary"
                + " one)");
      }
      Files.createDirectories(dir);
    }
    LocalClusterLayout layout = LocalClusterLayout.of(dir, nodes, basePort, settings, security);
    LocalClusterSecurity.Access access;
    try {
      if (security == LocalClusterLayout.Security.INSECURE) {
        out.println(LocalClusterLayout.INSECURE_WARNING);
        access = LocalClusterSecurity.Access.insecure();
      } else {
        LocalClusterSecurity.ensure(layout, out);
        access = LocalClusterSecurity.Access.of(layout);
      }
    } catch (RuntimeException e) {
      if (temporary) {
        try {
          Directories.deleteTree(dir);
        } catch (IOException cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      throw e;
    }
    DemoSession session = new DemoSession(dir, temporary, layout, access, timeout, out, err);
    Runtime.getRuntime().addShutdownHook(session.hook);
    session.timer.start();
    return session;
  }

  DemoCluster cluster() {
    return cluster;
  }

  Path dir() {
    return dir;
  }

  /** Leave the nodes running (and so their files) when the session closes. */
  void keepNodes() {
    keepNodes = true;
    keepFiles = true;
  }

  /** Keep the data directory even if it is a temporary one (e.g. after a failure, for its logs). */
  void keepFiles() {
    keepFiles = true;
  }

  /** Stops the nodes (unless kept) and removes a temporary directory (unless kept). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    // A deadline interrupt may still be pending; stopping the nodes must wait for them regardless.
    Thread.interrupted();
    timer.interrupt();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook runs already and stops the nodes.
    }
    if (keepNodes) {
      out.println("nodes left running (--keep); stop them with: kill " + pids());
    } else {
      cluster.close();
    }
    if (temporary && !keepFiles) {
      try {
        Directories.deleteTree(dir);
      } catch (IOException e) {
        err.println("warning: could not remove " + dir + ": " + e.getMessage());
      }
    } else {
      out.println("files (configs, data, node logs) kept in " + dir);
    }
    out.flush();
  }

  private String pids() {
    StringBuilder s = new StringBuilder();
    for (LocalClusterNode node : cluster.layout().nodes()) {
      long pid = cluster.pid(node.id());
      if (pid > 0) {
        s.append(s.length() == 0 ? "" : " ").append(pid);
      }
    }
    return s.toString();
  }

  /** Ctrl-C or SIGTERM: whatever the command was doing, the nodes must not outlive it. */
  private void onSignal() {
    if (closed) {
      return;
    }
    closed = true;
    err.println();
    err.println("interrupted: stopping the nodes; files kept in " + dir);
    err.flush();
    cluster.close();
    out.flush();
  }

  private void onDeadline(Thread command, long deadlineNanos) {
    try {
      Thread.sleep(Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000));
      if (closed) {
        return;
      }
      err.println("error: not finished within " + timeout.toSeconds() + "s (--timeout); stopping");
      err.flush();
      command.interrupt();
      Thread.sleep(HARD_STOP_AFTER.toMillis());
      if (closed) {
        return;
      }
      err.println("error: still not finished; stopping the nodes and exiting");
      err.flush();
      closed = true;
      cluster.close();
      out.flush();
      Runtime.getRuntime().halt(ErrorReporter.EXIT_ERROR);
    } catch (InterruptedException closedInTime) {
      // close() ran: nothing to enforce.
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }
}
