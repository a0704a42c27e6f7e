package dev.sluice.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.PartitionDescription;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClientException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A fresh, throwaway local cluster run by {@code demo} and the cluster benchmarks: the {@code
 * local-cluster} classes ({@link LocalClusterLayout}, {@link LocalClusterProcesses}, {@link
 * LocalClusterProbe}) driven step by step, so that one node can be stopped and started again while
 * the others run.
 *
 * <p>Every wait has a deadline (the command's overall one) and fails with a {@link CliException}
 * naming what did not happen, with the tail of the node's log when a node is involved.
 *
 * <p>Thread-safety: driven by the command's thread; {@link #close} may also run from a shutdown
 * hook or the timeout thread and is idempotent.
 */
final class DemoCluster implements AutoCloseable {

  static final Duration STOP_GRACE = Duration.ofSeconds(30);

  /** Longest wait for one step (a topic, an in-sync change) within the overall deadline. */
  static final Duration STEP_WAIT = Duration.ofSeconds(120);

  private static final Duration POLL = Duration.ofMillis(250);

  private final LocalClusterLayout layout;
  private final LocalClusterProcesses processes;
  private final LocalClusterSecurity.Access access;
  private final LocalClusterProbe probe;
  private final PrintWriter out;
  private final long deadlineNanos;

  /** Nodes that should be running: a stopped one is not reported as having died. */
  private final Set<Integer> running = ConcurrentHashMap.newKeySet();

  /**
   * @param access the CA and admin token of a secure layout ({@link LocalClusterSecurity#ensure}
   *     created them), or none for an insecure one
   */
  DemoCluster(
      LocalClusterLayout layout,
      LocalClusterSecurity.Access access,
      PrintWriter out,
      PrintWriter err,
      long deadlineNanos) {
    this.layout = layout;
    this.access = access;
    this.probe = new LocalClusterProbe(access);
    this.out = out;
    this.deadlineNanos = deadlineNanos;
    this.processes =
        new LocalClusterProcesses(
            out, err, System.getenv(LocalClusterProcesses.JAVA_OPTS_ENV), access.tls());
  }

  LocalClusterLayout layout() {
    return layout;
  }

  LocalClusterNode node(int id) {
    return layout.node(id);
  }

  /** A client of node {@code nodeId}'s API; with the CA and the admin token when secure. */
  SluiceClient client(int nodeId) {
    return access.client(URI.create(node(nodeId).apiUrl()));
  }

  /**
   * Each node's {@code /metrics} (Prometheus text) by node id, for the nodes that answered within
   * the probe's timeout.
   */
  Map<Integer, String> metrics() {
    Map<Integer, String> scraped = new TreeMap<>();
    for (LocalClusterNode node : layout.nodes()) {
      probe.metrics(node).ifPresent(text -> scraped.put(node.id(), text));
    }
    return scraped;
  }

  /** Checks the ports, writes the configs, starts node 1, then the others, until all are Up. */
  void start() throws IOException, InterruptedException {
    LocalClusterCommand.refuseBusyPorts(layout);
    layout.writeConfigs();
    LocalClusterNode first = layout.node(1);
    started(first, processes.startFirst(first)); // no node runs: it forms the cluster at once
    awaitUp(List.of(first), 1);
    for (LocalClusterNode node : layout.nodes().subList(1, layout.nodes().size())) {
      startProcess(node, "");
    }
    awaitUp(layout.nodes(), 1);
  }

  /** The pid of a running node, for messages. */
  long pid(int nodeId) {
    return processes.process(nodeId).map(Process::pid).orElse(-1L);
  }

  /** SIGTERM to one node, waiting until its JVM has exited. */
  boolean stopNode(int nodeId) {
    running.remove(nodeId);
    return processes.stop(node(nodeId), STOP_GRACE);
  }

  /** Starts a stopped node again (not waiting for it), with extra JVM options for it alone. */
  Process restartNode(int nodeId, String extraJavaOpts) throws IOException {
    return startProcess(node(nodeId), extraJavaOpts);
  }

  /** {@code nodeId}'s management {@code GET /replicas} answer; empty when it did not answer. */
  Optional<JsonNode> replicas(int nodeId) {
    return probe.replicas(node(nodeId));
  }

  /**
   * The node that is oldest in the cluster (which hosts the controller singleton), as {@code
   * nodeId}'s management endpoint reports it; empty when unknown.
   */
  Optional<Integer> oldest(int askNodeId) {
    Optional<JsonNode> members = probe.members(node(askNodeId));
    String oldest = members.map(m -> m.path("oldest").asText("")).orElse("");
    return layout.nodes().stream()
        .filter(n -> n.clusterAddress().equals(oldest))
        .map(LocalClusterNode::id)
        .findFirst();
  }

  /**
   * Fails when a node that should run has exited, naming it and quoting its log.
   *
   * @throws CliException if one has
   */
  void checkAlive() {
    for (int id : running) {
      Optional<Process> process = processes.process(id);
      if (process.isPresent() && !process.get().isAlive()) {
        throw new CliException(
            "node "
                + id
                + " (pid "
                + process.get().pid()
                + ") exited unexpectedly with code "
                + process.get().exitValue()
                + "; last lines of "
                + node(id).logFile()
                + ":\n"
                + LocalClusterProcesses.tail(node(id).logFile()));
      }
    }
  }

  /**
   * Polls {@code condition} until it returns a value, checking that the nodes live and that the
   * deadline has not passed.
   *
   * @param what what is awaited, for the error message
   */
  <T> T await(String what, Duration atMost, Supplier<T> condition) throws InterruptedException {
    return await(() -> what, atMost, condition);
  }

  /** As above, with a message computed when it is needed (it may quote the last answer). */
  <T> T await(Supplier<String> what, Duration atMost, Supplier<T> condition)
      throws InterruptedException {
    long until = Math.min(deadlineNanos, System.nanoTime() + atMost.toNanos());
    while (true) {
      checkAlive();
      T value = condition.get();
      if (value != null) {
        return value;
      }
      if (System.nanoTime() - until > 0) {
        throw new CliException(
            "timed out waiting for "
                + what.get()
                + (until == deadlineNanos
                    ? " (the overall --timeout passed)"
                    : " after " + atMost));
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  /** The partition as {@code nodeId} describes it; empty when the node cannot tell (yet). */
  Optional<PartitionDescription> describe(int nodeId, String topic) {
    try {
      return client(nodeId).describeTopic(topic).partition(0);
    } catch (SluiceClientException e) {
      return Optional.empty();
    }
  }

  /**
   * Creates a topic of one partition through node 1, retrying while the cluster settles, and waits
   * until the partition has a leader and every replica in sync.
   */
  PartitionDescription createTopic(String topic, int replicas) throws InterruptedException {
    SluiceClient client = client(1);
    String[] lastError = {"(none)"};
    await(
        () -> "topic " + topic + " to be created (last answer: " + lastError[0] + ")",
        STEP_WAIT,
        () -> {
          try {
            client.createTopic(topic, 1, replicas);
            return Boolean.TRUE;
          } catch (SluiceClientException e) {
            // Right after start-up the controller may not know every node yet (400) or the node
            // may lack metadata (503); a topic created by an earlier attempt answers 409.
            if (e.status() == 409) {
              return Boolean.TRUE;
            }
            lastError[0] = e.getMessage();
            return null;
          }
        });
    return await(
        "partition 0 of " + topic + " to have a leader and " + replicas + " in-sync replicas",
        STEP_WAIT,
        () ->
            describe(1, topic)
                .filter(p -> p.leader() > 0 && p.inSync().size() == replicas)
                .orElse(null));
  }

  /**
   * A follower of {@code p}, preferably not the oldest member: stopping that one would also move
   * the controller singleton, a second failure the incident did not have.
   */
  int chooseFollower(PartitionDescription p) {
    Optional<Integer> oldest = oldest(p.leader());
    List<Integer> followers = p.replicaNodes().stream().filter(n -> n != p.leader()).toList();
    return followers.stream()
        .filter(n -> oldest.map(o -> !o.equals(n)).orElse(n != 1))
        .reduce((a, b) -> b)
        .orElse(followers.get(followers.size() - 1));
  }

  /** Waits until the leader no longer counts {@code follower} in the in-sync set. */
  PartitionDescription awaitOutOfSync(String topic, int leader, int follower)
      throws InterruptedException {
    return await(
        "node " + follower + " to leave the in-sync set",
        STEP_WAIT,
        () -> describe(leader, topic).filter(x -> !x.inSync().contains(follower)).orElse(null));
  }

  /** Stops every node (SIGTERM, SIGKILL after a grace period). Idempotent. */
  @Override
  public void close() {
    running.clear();
    processes.stopAll(layout, STOP_GRACE);
  }

  private Process startProcess(LocalClusterNode node, String extraJavaOpts) throws IOException {
    return started(node, processes.start(node, extraJavaOpts));
  }

  private Process started(LocalClusterNode node, Process process) {
    running.add(node.id());
    out.printf("    started node %d (pid %d), log %s%n", node.id(), process.pid(), node.logFile());
    out.flush();
    return process;
  }

  /** Waits until every node of {@code waitFor} is Up as {@code askNodeId} sees it, and ready. */
  void awaitUp(List<LocalClusterNode> waitFor, int askNodeId) throws InterruptedException {
    Set<Integer> up = new HashSet<>();
    await(
        "node(s) "
            + waitFor.stream().map(LocalClusterNode::id).toList()
            + " to be Up and ready (see their logs under "
            + layout.dir()
            + ")",
        Duration.ofDays(1),
        () -> {
          Set<String> members = probe.upMembers(layout.node(askNodeId));
          for (LocalClusterNode node : waitFor) {
            if (!up.contains(node.id())
                && members.contains(node.clusterAddress())
                && probe.ready(node)) {
              up.add(node.id());
            }
          }
          return up.size() == waitFor.size() ? Boolean.TRUE : null;
        });
  }
}
