package dev.sluice.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.SluiceConfigLoader;
import dev.sluice.config.SluiceSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.Directories;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * N Sluice node JVMs on 127.0.0.1, configured as an operator would configure them, for tests that
 * kill, pause and restart real processes.
 *
 * <p>Every port is fixed when the cluster is made, so a restarted node comes back at its address
 * (its replicas' followers and the controller find it again). Ports are taken below the kernel's
 * ephemeral range, where no outgoing connection can hold one while its node is down. All nodes
 * share one H2 controller journal under the cluster directory; node K keeps its logs in {@code
 * DIR/node-K}. Node 1 is the first seed node: only it can form a new cluster when no member is up,
 * so a test that must restart the cluster without some node keeps node 1 among the survivors.
 *
 * <p>The cluster is secure by default, as an operator would run it ({@link ItSecurity}): TLS on
 * every listener with the test CA's certificate of node K for node K, bearer tokens on the client
 * API and admin tokens on management; every request the cluster's helpers make uses HTTPS with the
 * CA and the admin token. {@link Builder#plaintext()} opts out for a test that needs plain
 * listeners.
 *
 * <p>Each JVM gets {@code -Xmx256m} unless told otherwise, and its output is echoed with a {@code
 * [node-K]} prefix. Conditions are polled over HTTP ({@code GET /topics/{t}} on the client API,
 * {@code /cluster/members} on management) with a deadline; a failed wait names what it saw last.
 *
 * <p>Like systemd with the release's unit, the cluster restarts a node that halts itself with exit
 * code {@value NodeJvm#EXIT_HALTED} (its actor system hung while terminating, after its logs were
 * closed); a node that exits with any other code stays down ({@link NodeJvm#superviseHalts}).
 *
 * <p>Thread-safety: the process controls (start, kill, pause, stop) are meant for one thread at a
 * time; the HTTP queries may be called from any thread.
 */
final class NodeCluster implements AutoCloseable {
  static final Duration STARTUP = Duration.ofSeconds(120);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The ports of one node. */
  record Ports(int api, int replication, int management, int cluster) {}

  private final Path dir;
  private final List<Ports> ports;
  private final List<NodeJvm> jvms;
  private final List<Path> configs;
  private final List<String> jvmOptions;
  private final Duration pollInterval;
  private final ItSecurity security;
  private final HttpClient http;
  private volatile Consumer<String> restartListener = what -> {};

  private NodeCluster(
      Path dir,
      List<Ports> ports,
      List<Path> configs,
      List<String> jvmOptions,
      Duration pollInterval,
      ItSecurity security) {
    this.dir = dir;
    this.security = security;
    this.http = security.httpClient();
    this.pollInterval = pollInterval;
    this.ports = List.copyOf(ports);
    this.configs = List.copyOf(configs);
    this.jvmOptions = List.copyOf(jvmOptions);
    List<NodeJvm> list = new ArrayList<>();
    for (int i = 0; i < configs.size(); i++) {
      list.add(new NodeJvm("node-" + (i + 1), configs.get(i)).superviseHalts(this::supervised));
    }
    this.jvms = List.copyOf(list);
  }

  /**
   * Tells {@code listener} (e.g. the nemesis, for its log) about every node the cluster's
   * supervisor restarted because it halted itself with {@link NodeJvm#EXIT_HALTED}.
   */
  void onSupervisedRestart(Consumer<String> listener) {
    restartListener = listener;
  }

  private void supervised(String what) {
    System.out.println("[supervisor] " + what);
    restartListener.accept(what);
  }

  static Builder builder(Path dir) {
    return new Builder(dir);
  }

  /** Settings of a cluster to be started; keys are any of a node config file's keys. */
  static final class Builder {
    private final Path dir;
    private int nodes = 3;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final List<String> jvmOptions = new ArrayList<>(List.of("-Xmx256m"));
    private Duration pollInterval = Duration.ofMillis(250);
    private boolean secure = true;

    private Builder(Path dir) {
      this.dir = dir;
      // Survives kill -9 (the page cache outlives the process), which is what these tests do;
      // fsync per batch would only slow them down on a shared disk.
      settings.put("sluice.storage.flush", "os");
    }

    Builder nodes(int n) {
      this.nodes = n;
      return this;
    }

    /** One setting for every node, its value written as HOCON (e.g. {@code "256KiB"}). */
    Builder set(String key, String hoconValue) {
      settings.put(key, hoconValue);
      return this;
    }

    /** How often waits poll the nodes; longer for topics whose description is large. */
    Builder pollInterval(Duration interval) {
      this.pollInterval = interval;
      return this;
    }

    /** Plain listeners and no tokens, for a test that needs them; the default is secure. */
    Builder plaintext() {
      this.secure = false;
      return this;
    }

    Builder jvmOptions(String... options) {
      jvmOptions.clear();
      jvmOptions.addAll(List.of(options));
      return this;
    }

    /** Writes every node's config file; starts nothing. */
    NodeCluster build() throws IOException {
      ItSecurity security = secure ? ItSecurity.secure(dir) : ItSecurity.plaintext();
      List<Ports> ports = allocatePorts(nodes);
      String seeds =
          ports.stream()
              .map(p -> "\"127.0.0.1:" + p.cluster() + "\"")
              .collect(Collectors.joining(", "));
      List<Path> configs = new ArrayList<>();
      for (int id = 1; id <= nodes; id++) {
        Ports p = ports.get(id - 1);
        List<String> lines =
            new ArrayList<>(
                List.of(
                    "sluice.node.id = " + id,
                    "sluice.data-dir = \"" + dir.resolve("node-" + id) + "\"",
                    "sluice.controller.h2-path = \"" + dir.resolve("controller/journal") + "\"",
                    "sluice.api.port = " + p.api(),
                    "sluice.replication.port = " + p.replication(),
                    "sluice.management.port = " + p.management(),
                    "sluice.cluster.port = " + p.cluster(),
                    "sluice.cluster.seed-nodes = [" + seeds + "]"));
        lines.addAll(security.nodeConfigLines(id));
        settings.forEach((k, v) -> lines.add(k + " = " + v));
        lines.add("");
        configs.add(
            NodeJvm.writeConfig(dir.resolve("node-" + id + ".conf"), String.join("\n", lines)));
      }
      return new NodeCluster(dir, ports, configs, jvmOptions, pollInterval, security);
    }

    /** Builds, starts every node and waits until each sees all of them Up. */
    NodeCluster start() throws IOException, InterruptedException {
      NodeCluster cluster = build();
      try {
        cluster.startAll();
      } catch (IOException | InterruptedException | RuntimeException | Error e) {
        cluster.close();
        throw e;
      }
      return cluster;
    }
  }

  /**
   * Ports from below the ephemeral range (usually 32768-60999): the kernel never gives those to an
   * outgoing connection, so a port stays free while its node is down. The base is random so that
   * clusters of concurrent builds rarely meet; each port is checked by binding it.
   */
  private static List<Ports> allocatePorts(int nodes) throws IOException {
    Set<Integer> taken = new HashSet<>();
    int next = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
    List<Ports> result = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      int[] four = new int[4];
      for (int k = 0; k < 4; k++) {
        while (taken.contains(next) || !bindable(next)) {
          next = next >= 32_700 ? 20_000 : next + 1;
        }
        taken.add(next);
        four[k] = next;
      }
      result.add(new Ports(four[0], four[1], four[2], four[3]));
    }
    return result;
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  // ---- layout ----

  int size() {
    return jvms.size();
  }

  List<Integer> nodes() {
    return IntStream.rangeClosed(1, size()).boxed().toList();
  }

  NodeJvm jvm(int node) {
    return jvms.get(node - 1);
  }

  Ports ports(int node) {
    return ports.get(node - 1);
  }

  Path configFile(int node) {
    return configs.get(node - 1);
  }

  Path dataDir(int node) {
    return dir.resolve("node-" + node);
  }

  /** The directory of one replica's log: {@code DIR/node-K/<topic>-<partition>}. */
  Path replicaDir(int node, String topic, int partition) {
    return dataDir(node).resolve(topic + "-" + partition);
  }

  /** The storage settings node {@code node} runs with, to open its logs from the test. */
  StorageSettings storageSettings(int node) {
    return SluiceSettings.from(SluiceConfigLoader.load(configFile(node), Map.of())).storage();
  }

  /** How the nodes are secured, and the CA and tokens to reach them. */
  ItSecurity security() {
    return security;
  }

  URI api(int node) {
    return security.uri(ports(node).api());
  }

  URI management(int node) {
    return security.uri(ports(node).management());
  }

  String clusterAddress(int node) {
    return "pekko://sluice@127.0.0.1:" + ports(node).cluster();
  }

  /** The node whose client API listens on {@code port}, if any. */
  OptionalInt nodeWithApiPort(int port) {
    for (int node : nodes()) {
      if (ports(node).api() == port) {
        return OptionalInt.of(node);
      }
    }
    return OptionalInt.empty();
  }

  // ---- processes ----

  /** Starts every node and waits until each logged that it is up and sees all of them Up. */
  void startAll() throws IOException, InterruptedException {
    for (int node : nodes()) {
      start(node);
    }
    for (int node : nodes()) {
      awaitStarted(node, STARTUP);
    }
    awaitMembersUp(nodes(), STARTUP);
  }

  /** Starts (or starts again) node {@code node} with its config, data and ports; does not wait. */
  void start(int node) throws IOException {
    jvm(node).start(jvmOptions.toArray(String[]::new));
  }

  /** Waits until node {@code node} logged that it is up; fails early if it exits. */
  void awaitStarted(int node, Duration timeout) throws InterruptedException {
    jvm(node).awaitOutput("Sluice node " + node + " up", timeout);
  }

  void kill9(int node) throws InterruptedException {
    jvm(node).kill9();
  }

  /**
   * A power loss of the whole cluster at one instant, as far as its processes can tell: one {@code
   * kill -STOP} freezes every node at once (nothing more is written or acknowledged anywhere), then
   * each is killed with SIGKILL.
   */
  void freezeAndKillAll() throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("kill", "-STOP"));
    for (int node : nodes()) {
      command.add(Long.toString(jvm(node).pid()));
    }
    Process stop = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!stop.waitFor(10, TimeUnit.SECONDS) || stop.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed");
    }
    for (int node : nodes()) {
      kill9(node);
    }
  }

  void pause(int node) throws IOException, InterruptedException {
    jvm(node).pause();
  }

  void resume(int node) throws IOException, InterruptedException {
    jvm(node).resume();
  }

  /** SIGTERM and wait for the exit; returns the exit code. */
  int stop(int node) throws IOException, InterruptedException {
    return jvm(node).stop(Duration.ofSeconds(60));
  }

  /** SIGTERM (after SIGCONT if paused), then a start with the same config; does not wait. */
  void restart(int node) throws IOException, InterruptedException {
    if (jvm(node).isAlive()) {
      stop(node);
    }
    start(node);
  }

  boolean isRunning(int node) {
    return jvm(node).isAlive();
  }

  /** Running and not paused: a node that can answer. */
  boolean isResponsive(int node) {
    return jvm(node).isAlive() && !jvm(node).isPaused();
  }

  List<Integer> responsiveNodes() {
    return nodes().stream().filter(this::isResponsive).toList();
  }

  /**
   * Stops every running node with SIGTERM (continuing paused ones first) and waits for all to exit.
   * A node that does not exit within {@code timeout} is killed; the answer lists each such problem
   * (empty: every node stopped cleanly).
   */
  List<String> stopAll(Duration timeout) throws IOException, InterruptedException {
    List<String> problems = new ArrayList<>();
    List<Integer> running = nodes().stream().filter(this::isRunning).toList();
    for (int node : running) {
      if (jvm(node).isPaused()) {
        resume(node);
      }
    }
    List<Thread> stoppers = new ArrayList<>();
    List<String> sync = java.util.Collections.synchronizedList(problems);
    for (int node : running) {
      Thread t =
          new Thread(
              () -> {
                try {
                  int code = jvm(node).stop(timeout);
                  if (code != 0 && code != 143) {
                    sync.add("node " + node + " exited with " + code + " on SIGTERM");
                  }
                } catch (AssertionError | IOException e) {
                  sync.add("node " + node + " did not stop on SIGTERM: " + e.getMessage());
                  try {
                    jvm(node).kill9();
                  } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "stop-node-" + node);
      t.start();
      stoppers.add(t);
    }
    for (Thread t : stoppers) {
      t.join();
    }
    return List.copyOf(problems);
  }

  // ---- data directories (only while the node is down) ----

  void wipeDataDir(int node) throws IOException {
    requireDown(node, "wipe its data directory");
    deleteTree(dataDir(node));
  }

  void copyDataDir(int node, Path target) throws IOException {
    requireDown(node, "copy its data directory");
    copyTree(dataDir(node), target);
  }

  void restoreDataDir(int node, Path source) throws IOException {
    requireDown(node, "restore its data directory");
    deleteTree(dataDir(node));
    copyTree(source, dataDir(node));
  }

  private void requireDown(int node, String what) {
    if (isRunning(node)) {
      throw new IllegalStateException("node " + node + " is running: cannot " + what);
    }
  }

  /** Deletes a directory and everything in it; nothing if it does not exist. */
  static void deleteTree(Path root) throws IOException {
    Directories.deleteTree(root);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            Files.createDirectories(to.resolve(from.relativize(d).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.copy(
                file,
                to.resolve(from.relativize(file).toString()),
                StandardCopyOption.COPY_ATTRIBUTES);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  // ---- HTTP ----

  /** An HTTP client that trusts the cluster's CA (HTTP/1.1, 2 s connect timeout). */
  HttpClient http() {
    return http;
  }

  /** A client API request to node {@code node} with the admin token. */
  HttpRequest.Builder apiRequest(int node, String path) {
    return security.withApiAuth(HttpRequest.newBuilder(api(node).resolve(path)));
  }

  /** A management request to node {@code node} with the admin token. */
  HttpRequest.Builder managementRequest(int node, String path) {
    return security.withManagementAuth(HttpRequest.newBuilder(management(node).resolve(path)));
  }

  /** A JSON GET; empty when the node does not answer 200 in time (down, paused, starting). */
  Optional<JsonNode> getJson(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r =
          http.send(request.timeout(HTTP_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  HttpResponse<String> postJson(int node, String path, String json)
      throws IOException, InterruptedException {
    return http.send(
        apiRequest(node, path)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Creates a topic through any responsive node, retrying while the cluster cannot take it yet (the
   * controller may not know every node right after start-up), and waits until every partition has a
   * leader and a full in-sync set on every responsive node.
   */
  TopicState createTopic(String name, int partitions, int replicationFactor, Duration timeout)
      throws InterruptedException {
    String body =
        "{\"name\":\""
            + name
            + "\",\"partitions\":"
            + partitions
            + ",\"replicationFactor\":"
            + replicationFactor
            + "}";
    String[] last = {"no answer"};
    Await.value(
        () -> {
          for (int node : responsiveNodes()) {
            try {
              HttpResponse<String> r = postJson(node, "/topics", body);
              last[0] = "node " + node + " answered " + r.statusCode() + " " + r.body();
              if (r.statusCode() == 201 || r.statusCode() == 409) {
                return Optional.of(true);
              }
            } catch (IOException e) {
              last[0] = "node " + node + ": " + e;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return Optional.of(false);
            }
          }
          return Optional.empty();
        },
        timeout,
        Duration.ofMillis(500),
        "topic " + name + " is created",
        () -> last[0]);
    return awaitViews(
        name,
        List.of(),
        timeout,
        "every node describes every partition of " + name + " with a leader",
        TopicState.PartitionState::hasLeader);
  }

  Optional<TopicState> describe(int node, String topic) {
    return getJson(apiRequest(node, "/topics/" + topic)).map(TopicState::parse);
  }

  /** The topic as the first responsive node that answers describes it. */
  Optional<TopicState> describe(String topic) {
    for (int node : responsiveNodes()) {
      Optional<TopicState> t = describe(node, topic);
      if (t.isPresent()) {
        return t;
      }
    }
    return Optional.empty();
  }

  /** The leader of a partition as some responsive node sees it, or {@link TopicState#NO_LEADER}. */
  int leaderOf(String topic, int partition) {
    return describe(topic).map(t -> t.partition(partition).leader()).orElse(TopicState.NO_LEADER);
  }

  /** pekko-management's {@code /cluster/members} as node {@code node} sees it. */
  Optional<JsonNode> members(int node) {
    return getJson(managementRequest(node, "/cluster/members"));
  }

  /** The uid of node {@code node}'s current actor system: a new one for every incarnation. */
  Optional<String> selfUid(int node) {
    return members(node)
        .flatMap(
            m -> {
              String self = m.path("selfNode").asText();
              for (JsonNode member : m.path("members")) {
                if (member.path("node").asText().equals(self)) {
                  return Optional.of(member.path("nodeUid").asText());
                }
              }
              return Optional.empty();
            });
  }

  /** Management {@code GET /replicas}: node {@code node}'s local replicas and their status. */
  Optional<JsonNode> localReplicas(int node) {
    return getJson(managementRequest(node, "/replicas"));
  }

  // ---- conditions ----

  /**
   * Waits until every node of {@code group} sees exactly the members of {@code group}, all Up and
   * none unreachable.
   */
  void awaitMembersUp(Collection<Integer> group, Duration timeout) throws InterruptedException {
    Set<String> expected = new TreeSet<>();
    group.forEach(n -> expected.add(clusterAddress(n)));
    Map<Integer, String> seen = new LinkedHashMap<>();
    Await.value(
        () -> {
          boolean all = true;
          for (int node : group) {
            Optional<JsonNode> m = members(node);
            String view = m.map(NodeCluster::membersSummary).orElse("no answer");
            seen.put(node, view);
            all &= m.map(j -> upSet(j).equals(expected) && unreachableCount(j) == 0).orElse(false);
          }
          return all ? Optional.of(true) : Optional.empty();
        },
        timeout,
        pollInterval,
        "nodes " + group + " all see " + expected + " Up",
        seen::toString);
  }

  /** The cluster is whole: every node is running and sees every node Up. */
  boolean isWhole() {
    Set<String> expected = new TreeSet<>();
    nodes().forEach(n -> expected.add(clusterAddress(n)));
    for (int node : nodes()) {
      if (!isResponsive(node)) {
        return false;
      }
      Optional<JsonNode> m = members(node);
      if (m.isEmpty() || !upSet(m.get()).equals(expected) || unreachableCount(m.get()) != 0) {
        return false;
      }
    }
    return true;
  }

  private static Set<String> upSet(JsonNode members) {
    Set<String> up = new TreeSet<>();
    Set<String> all = new TreeSet<>();
    for (JsonNode m : members.path("members")) {
      all.add(m.path("node").asText());
      if (m.path("status").asText().equals("Up")) {
        up.add(m.path("node").asText());
      }
    }
    return up.size() == all.size() ? up : Set.of();
  }

  private static int unreachableCount(JsonNode members) {
    return members.path("unreachable").size();
  }

  private static String membersSummary(JsonNode members) {
    List<String> parts = new ArrayList<>();
    for (JsonNode m : members.path("members")) {
      parts.add(m.path("node").asText() + " " + m.path("status").asText());
    }
    return parts + " unreachable " + members.path("unreachable");
  }

  /**
   * Waits until every responsive node describes every partition of {@code topic} with a leader and
   * a full in-sync set, and they agree on leaders and epochs.
   */
  TopicState awaitFullyInSync(String topic, Duration timeout) throws InterruptedException {
    return awaitViews(
        topic,
        List.of(),
        timeout,
        "every partition of " + topic + " has a leader and a full in-sync set",
        TopicState.PartitionState::fullyInSync);
  }

  /**
   * Waits until every responsive node describes every partition of {@code topic} as converged: a
   * leader, a full in-sync set, equal log end offsets and high watermarks on every replica.
   */
  TopicState awaitConverged(String topic, Duration timeout) throws InterruptedException {
    return awaitConverged(topic, List.of(), timeout);
  }

  /** {@link #awaitConverged(String, Duration)} for some partitions only (empty: all). */
  TopicState awaitConverged(String topic, Collection<Integer> partitions, Duration timeout)
      throws InterruptedException {
    return awaitViews(
        topic,
        partitions,
        timeout,
        "every replica of "
            + (partitions.isEmpty() ? "every partition" : "partitions " + partitions)
            + " of "
            + topic
            + " has the same log end and high watermark",
        TopicState.PartitionState::converged);
  }

  /**
   * Waits until every responsive node describes the given partitions of {@code topic} as {@link
   * TopicState.PartitionState#caughtUp}: equal log ends and high watermarks, every follower caught
   * up; whatever the in-sync sets are.
   */
  TopicState awaitCaughtUp(String topic, Collection<Integer> partitions, Duration timeout)
      throws InterruptedException {
    return awaitViews(
        topic,
        partitions,
        timeout,
        "every follower of partitions "
            + partitions
            + " of "
            + topic
            + " caught up with the same log end and high watermark as the leader",
        TopicState.PartitionState::caughtUp);
  }

  private TopicState awaitViews(
      String topic,
      Collection<Integer> partitions,
      Duration timeout,
      String what,
      Predicate<TopicState.PartitionState> good)
      throws InterruptedException {
    String[] last = {"no node answered"};
    Predicate<TopicState.PartitionState> watched =
        p -> partitions.isEmpty() || partitions.contains(p.partition());
    return Await.value(
        () -> {
          TopicState first = null;
          for (int node : responsiveNodes()) {
            Optional<TopicState> view = describe(node, topic);
            if (view.isEmpty()) {
              last[0] = "node " + node + " did not describe " + topic;
              return Optional.empty();
            }
            Optional<TopicState.PartitionState> bad =
                view.get().partitions().stream().filter(watched).filter(good.negate()).findFirst();
            if (bad.isPresent()) {
              last[0] = "node " + node + " describes " + bad.get();
              return Optional.empty();
            }
            if (first == null) {
              first = view.get();
            } else if (!sameLeadership(first, view.get(), watched)) {
              last[0] = "nodes disagree: " + first + " vs node " + node + ": " + view.get();
              return Optional.empty();
            }
          }
          return Optional.ofNullable(first);
        },
        timeout,
        pollInterval,
        what,
        () -> last[0]);
  }

  private static boolean sameLeadership(
      TopicState a, TopicState b, Predicate<TopicState.PartitionState> watched) {
    if (a.partitions().size() != b.partitions().size()) {
      return false;
    }
    for (TopicState.PartitionState p : a.partitions()) {
      if (!watched.test(p)) {
        continue;
      }
      TopicState.PartitionState q = b.partition(p.partition());
      if (p.leader() != q.leader() || p.leaderEpoch() != q.leaderEpoch()) {
        return false;
      }
    }
    return true;
  }

  /** Kills whatever still runs; a test's last word. */
  @Override
  public void close() {
    for (NodeJvm jvm : jvms) {
      jvm.close();
    }
  }
}
