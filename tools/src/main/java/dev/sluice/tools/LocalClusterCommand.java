package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code sluice local-cluster}: runs a cluster of N nodes on this machine, one JVM per node, in the
 * foreground until Ctrl-C or SIGTERM, then stops them all. Files and ports: {@link
 * LocalClusterLayout}. Running it again on the same directory restarts the same cluster with its
 * data.
 *
 * <p>Start-up: node 1 first, until it is Up and ready (it forms the cluster and creates the
 * controller's journal), then the others together. No node of the cluster runs at that point (the
 * command refuses to start otherwise), so node 1 forms the cluster at once ({@link
 * LocalClusterProcesses#startFirst}) rather than after asking the other seeds for a
 * seed-node-timeout. "Up" means: listed as Up by node 1's {@code GET /cluster/members} and
 * answering its own {@code /ready}, which a node serves only once its client API is bound.
 *
 * <p>Secure by default: before the nodes start, {@link LocalClusterSecurity#ensure} creates (first
 * run) or reuses the cluster CA, the node certificates and the admin token under {@code
 * DIR/security}, and every node runs with TLS and tokens; {@code DIR/client.conf} points the CLI at
 * them. {@code --insecure} runs plaintext listeners without tokens.
 *
 * <p>Stopping runs in a JVM shutdown hook, which ends the JVM with exit code 0 once every node has
 * stopped (SIGTERM, then SIGKILL after 30 s).
 */
@Command(
    name = "local-cluster",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a cluster of nodes on this machine, one JVM each, until Ctrl-C; then stops them.",
      "Node K uses ports P+10(K-1) (API), +1 (replication), +2 (management), +3 (cluster) and"
          + " the directory DIR/node-K (node.conf, data/, node.log, pid).",
      "Running it again on the same DIR restarts the same cluster with its data.",
      "Secure by default: TLS on every listener with certificates from a cluster CA in"
          + " DIR/security (created on the first run), bearer tokens on the API; the admin token"
          + " is DIR/security/admin.token and DIR/client.conf lets the CLI use both.",
      LocalClusterProcesses.JAVA_OPTS_HELP
    })
final class LocalClusterCommand implements Callable<Integer> {

  private static final Duration POLL_INTERVAL = Duration.ofMillis(500);
  private static final Duration STOP_GRACE = Duration.ofSeconds(30);

  @Spec CommandSpec spec;

  @Option(
      names = "--nodes",
      paramLabel = "N",
      defaultValue = "3",
      description =
          "Number of nodes, 1 to " + LocalClusterLayout.MAX_NODES + " (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      defaultValue = "data/local-cluster",
      description = "Directory of the cluster's files (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--base-port",
      paramLabel = "P",
      defaultValue = "" + LocalClusterLayout.DEFAULT_BASE_PORT,
      description = "First port of node 1 (default: ${DEFAULT-VALUE}).")
  int basePort;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "A setting for every node, e.g. --set sluice.storage.flush=os (repeatable).")
  Map<String, String> settings = new LinkedHashMap<>();

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "120s",
      converter = SecondsConverter.class,
      description =
          "How long to wait for all nodes to be Up, e.g. 90s or 3m (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--insecure",
      description =
          "Plaintext listeners and no tokens: anything that can reach the nodes can read and"
              + " write. Key material in DIR/security is kept for later secure runs.")
  boolean insecure;

  private PrintWriter out;
  private PrintWriter err;
  private final Set<Integer> upNodes = new TreeSet<>();
  private long lastProgressNanos;
  private int lastProgressCount = -1;

  /** Checks the options; a problem is a usage error (exit code 2). */
  LocalClusterLayout layout() {
    try {
      return LocalClusterLayout.of(
          dataDir,
          nodes,
          basePort,
          settings,
          insecure ? LocalClusterLayout.Security.INSECURE : LocalClusterLayout.Security.SECURE);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    LocalClusterLayout layout = layout();
    out = spec.commandLine().getOut();
    err = spec.commandLine().getErr();
    refuseIfRunning(layout);
    refuseBusyPorts(layout);
    LocalClusterSecurity.Access access;
    if (insecure) {
      out.println(LocalClusterLayout.INSECURE_WARNING);
      access = LocalClusterSecurity.Access.insecure();
    } else {
      LocalClusterSecurity.ensure(layout, out);
      access = LocalClusterSecurity.Access.of(layout);
    }
    layout.writeConfigs();

    LocalClusterProcesses processes =
        new LocalClusterProcesses(
            out, err, System.getenv(LocalClusterProcesses.JAVA_OPTS_ENV), access.tls());
    Thread hook = new Thread(() -> stopOnSignal(processes, layout), "local-cluster-stop");
    Runtime.getRuntime().addShutdownHook(hook);

    out.printf(
        "local cluster of %d node%s in %s (ports %d-%d)%n",
        layout.nodes().size(),
        layout.nodes().size() == 1 ? "" : "s",
        layout.dir(),
        layout.basePort(),
        layout.nodes().get(layout.nodes().size() - 1).clusterPort());
    long startNanos = System.nanoTime();
    try {
      long deadline = startNanos + timeout.toNanos();
      LocalClusterNode first = layout.node(1);
      started(first, processes.startFirst(first));
      LocalClusterProbe probe = new LocalClusterProbe(access);
      awaitUp(layout, processes, probe, List.of(first), deadline);
      for (LocalClusterNode node : layout.nodes().subList(1, layout.nodes().size())) {
        started(node, processes.start(node));
      }
      awaitUp(layout, processes, probe, layout.nodes(), deadline);
    } catch (IOException | RuntimeException | InterruptedException e) {
      processes.stopAll(layout, STOP_GRACE);
      removeHook(hook);
      throw e;
    }

    int count = layout.nodes().size();
    out.printf(
        "all %d node%s up after %ds%n",
        count, count == 1 ? "" : "s", Duration.ofNanos(System.nanoTime() - startNanos).toSeconds());
    printTable(layout, processes);
    out.println();
    printAccess(layout);
    out.println("Ctrl-C (or SIGTERM) stops every node. One node can be restarted by hand with");
    out.println(
        "  bin/sluice node --config " + layout.dir().resolve("node-K").resolve("node.conf"));
    out.flush();

    processes.watchExits(layout);
    processes.awaitAllExited();
    // Every node exited on its own; the shutdown hook has nothing left to stop.
    processes.stopAll(layout, STOP_GRACE);
    removeHook(hook);
    throw new CliException("every node has exited; see their logs under " + layout.dir());
  }

  /** The shutdown hook: stop every node, then end the JVM with 0 (the requested outcome). */
  private void stopOnSignal(LocalClusterProcesses processes, LocalClusterLayout layout) {
    processes.stopAll(layout, STOP_GRACE);
    out.flush();
    err.flush();
    // A JVM ended by SIGTERM/SIGINT exits with 143/130 even after a clean stop; halt reports the
    // real outcome. Nothing else in this JVM needs its shutdown hooks: the nodes run elsewhere.
    Runtime.getRuntime().halt(0);
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook is already running and will stop the nodes itself.
    }
  }

  private void started(LocalClusterNode node, Process process) {
    out.printf("started node %d (pid %d), log %s%n", node.id(), process.pid(), node.logFile());
    out.flush();
  }

  /**
   * Polls until every node of {@code waitFor} is Up and ready.
   *
   * @throws CliException when a node process exits or the deadline passes, with its log's tail
   */
  private void awaitUp(
      LocalClusterLayout layout,
      LocalClusterProcesses processes,
      LocalClusterProbe probe,
      List<LocalClusterNode> waitFor,
      long deadlineNanos)
      throws InterruptedException {
    while (true) {
      Optional<Integer> exited = processes.firstExited();
      if (exited.isPresent()) {
        LocalClusterNode node = layout.node(exited.get());
        throw new CliException(
            "node "
                + node.id()
                + " exited with code "
                + processes.process(node.id()).orElseThrow().exitValue()
                + " while starting; last lines of "
                + node.logFile()
                + ":\n"
                + LocalClusterProcesses.tail(node.logFile()));
      }
      Set<String> members = probe.upMembers(layout.node(1));
      for (LocalClusterNode node : waitFor) {
        if (!upNodes.contains(node.id())
            && members.contains(node.clusterAddress())
            && probe.ready(node)) {
          upNodes.add(node.id());
        }
      }
      progress(layout.nodes().size());
      if (waitFor.stream().allMatch(n -> upNodes.contains(n.id()))) {
        return;
      }
      if (System.nanoTime() - deadlineNanos > 0) {
        LocalClusterNode late =
            waitFor.stream().filter(n -> !upNodes.contains(n.id())).findFirst().orElseThrow();
        throw new CliException(
            "not all nodes were up within "
                + timeout.toSeconds()
                + "s (--timeout); up: "
                + upNodes
                + "; last lines of node "
                + late.id()
                + "'s log "
                + late.logFile()
                + ":\n"
                + LocalClusterProcesses.tail(late.logFile()));
      }
      Thread.sleep(POLL_INTERVAL.toMillis());
    }
  }

  /** A progress line when the count changed or every 10 s, never more than one a second. */
  private void progress(int total) {
    long now = System.nanoTime();
    long sinceLast = now - lastProgressNanos;
    boolean changed = upNodes.size() != lastProgressCount;
    if (upNodes.size() == total
        || lastProgressCount >= 0 && sinceLast < Duration.ofSeconds(1).toNanos()
        || !changed && sinceLast < Duration.ofSeconds(10).toNanos()) {
      return;
    }
    out.printf("waiting for %d node%s: %d up%n", total, total == 1 ? "" : "s", upNodes.size());
    out.flush();
    lastProgressNanos = now;
    lastProgressCount = upNodes.size();
  }

  private void printTable(LocalClusterLayout layout, LocalClusterProcesses processes) {
    Table table = new Table("node", "pid", "api", "management", "replication", "cluster", "log");
    for (LocalClusterNode node : layout.nodes()) {
      table.row(
          node.id(),
          processes.process(node.id()).map(Process::pid).orElse(null),
          node.apiUrl(),
          node.managementUrl(),
          node.replicationAddress(),
          node.clusterAddress(),
          node.logFile());
    }
    table.print(out);
  }

  /** Where the CLI finds the CA and the admin token, or what --insecure gave up. */
  private void printAccess(LocalClusterLayout layout) {
    if (layout.security() == LocalClusterLayout.Security.SECURE) {
      out.println("CA certificate  " + layout.caPem());
      out.println("admin token     " + layout.adminTokenFile() + " (keep it private)");
    }
    Path defaultConf = ServerOptions.DEFAULT_CLIENT_CONF.toAbsolutePath().normalize();
    String use =
        layout.clientConf().equals(defaultConf)
            ? "bin/sluice reads it by default"
            : "use it: export " + ServerOptions.CLIENT_CONF_ENV + "=" + layout.clientConf();
    out.println("CLI settings    " + layout.clientConf() + " (" + use + ")");
  }

  /** A pid file naming a live node process means that node already runs: refuse to start twice. */
  private static void refuseIfRunning(LocalClusterLayout layout) throws IOException {
    for (LocalClusterNode node : layout.nodes()) {
      Optional<Long> pid = readPid(node.pidFile());
      if (pid.isEmpty()) {
        continue;
      }
      Optional<ProcessHandle> handle = ProcessHandle.of(pid.get());
      if (handle.isPresent() && handle.get().isAlive() && isNodeProcess(handle.get(), node)) {
        throw new CliException(
            "node "
                + node.id()
                + " already running as pid "
                + pid.get()
                + "; stop it first (pid file "
                + node.pidFile()
                + ")");
      }
      // Left behind by a killed local-cluster: the process is gone.
      Files.deleteIfExists(node.pidFile());
    }
  }

  /** Guards against a reused pid; a process whose command line is hidden counts as the node. */
  private static boolean isNodeProcess(ProcessHandle handle, LocalClusterNode node) {
    return handle
        .info()
        .arguments()
        .map(args -> List.of(args).contains(node.configFile().toString()))
        .orElse(true);
  }

  private static Optional<Long> readPid(Path pidFile) throws IOException {
    if (!Files.isRegularFile(pidFile)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(Files.readString(pidFile, UTF_8).trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Fails before anything starts if a port is taken, rather than with a bind error in a log. */
  static void refuseBusyPorts(LocalClusterLayout layout) {
    for (LocalClusterNode node : layout.nodes()) {
      Map<String, Integer> ports = new LinkedHashMap<>();
      ports.put("API", node.apiPort());
      ports.put("replication", node.replicationPort());
      ports.put("management", node.managementPort());
      ports.put("cluster", node.clusterPort());
      for (Map.Entry<String, Integer> port : ports.entrySet()) {
        try (ServerSocket socket = new ServerSocket()) {
          // As the node's own listeners do: a connection in TIME_WAIT must not count as busy.
          socket.setReuseAddress(true);
          socket.bind(new InetSocketAddress(node.host(), port.getValue()));
        } catch (IOException e) {
          throw new CliException(
              "port "
                  + port.getValue()
                  + " ("
                  + port.getKey()
                  + " of node "
                  + node.id()
                  + ") on "
                  + node.host()
                  + " is not available: "
                  + e.getMessage()
                  + "; is another cluster running? Choose other ports with --base-port");
        }
      }
    }
  }

  /** {@code 120}, {@code 120s}, {@code 2m}: whole seconds or minutes, at least one second. */
  static final class SecondsConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim();
      try {
        Duration d;
        if (v.endsWith("m")) {
          d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        } else if (v.endsWith("s")) {
          d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
        } else {
          d = Duration.ofSeconds(Long.parseLong(v));
        }
        if (d.toSeconds() < 1) {
          throw new TypeConversionException("'" + value + "' must be at least 1s");
        }
        return d;
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is not a duration like 120s or 3m");
      }
    }
  }
}
