package dev.sluice.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Several nodes in one JVM (one ActorSystem each, fixed cluster ports, every node a seed, one
 * shared H2 journal), with HTTP helpers and condition waits for tests. Nodes can be stopped and
 * started again on the same ports and data.
 *
 * <p>{@link #startSecure} runs them as a secured cluster ({@link TestSecurity}): mutual TLS between
 * nodes, HTTPS and tokens on the API; the HTTP helpers then trust the test CA and send the admin
 * token.
 */
public final class TestCluster implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofSeconds(90);
  public static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final Map<String, String> extra;
  private final List<Integer> clusterPorts = new ArrayList<>();
  private final Map<Integer, SluiceNode> nodes = new HashMap<>();
  private final Optional<TestSecurity> security;
  private final HttpClient http;

  private TestCluster(
      Path dir, int size, Map<String, String> extra, Optional<TestSecurity> security)
      throws IOException {
    this.dir = dir;
    this.extra = Map.copyOf(extra);
    this.security = security;
    HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    security.ifPresent(s -> client.sslContext(s.clientContext()));
    this.http = client.build();
    for (int i = 0; i < size; i++) {
      clusterPorts.add(freePort());
    }
  }

  /** Starts {@code size} nodes and waits until all are Up and registered with the controller. */
  public static TestCluster start(Path dir, int size, Map<String, String> extra) throws Exception {
    return start(new TestCluster(dir, size, extra, Optional.empty()), size);
  }

  /**
   * Starts {@code size} nodes with TLS on every listener and tokens on the API and management, and
   * waits until all are Up.
   */
  public static TestCluster startSecure(Path dir, int size, Map<String, String> extra)
      throws Exception {
    return start(new TestCluster(dir, size, extra, Optional.of(TestSecurity.create(dir))), size);
  }

  /**
   * A cluster of {@code size} nodes none of which runs yet: the test starts them ({@link
   * #startNode(int, List, Map)}), e.g. with seed lists of its own.
   */
  public static TestCluster unstarted(Path dir, int size, Map<String, String> extra)
      throws IOException {
    return new TestCluster(dir, size, extra, Optional.empty());
  }

  private static TestCluster start(TestCluster cluster, int size) throws Exception {
    for (int id = 1; id <= size; id++) {
      cluster.startNode(id);
    }
    cluster.awaitCondition(
        () -> cluster.nodes.values().stream().allMatch(n -> upMembers(n) == size),
        "all nodes see " + size + " members Up");
    return cluster;
  }

  public void startNode(int id) {
    startNode(id, IntStream.rangeClosed(1, clusterPorts.size()).boxed().toList(), Map.of());
  }

  /**
   * Starts node {@code id} with the nodes {@code seedIds} as its seed nodes, in that order (the
   * first one forms a cluster when nobody answers), and {@code settings} over the cluster's.
   */
  public void startNode(int id, List<Integer> seedIds, Map<String, String> settings) {
    List<String> seeds = seedIds.stream().map(s -> "127.0.0.1:" + clusterPorts.get(s - 1)).toList();
    Map<String, String> overrides = new HashMap<>();
    security.ifPresent(s -> overrides.putAll(s.nodeSettings(id)));
    overrides.putAll(extra);
    overrides.putAll(settings);
    overrides.put("sluice.node.id", Integer.toString(id));
    overrides.put("sluice.data-dir", dataDir(id).toString());
    overrides.put("sluice.cluster.port", Integer.toString(clusterPorts.get(id - 1)));
    Config config =
        ConfigFactory.empty()
            .withValue("sluice.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds))
            .withFallback(TestNodes.singleNode(dir, overrides));
    nodes.put(id, SluiceNode.start(config));
  }

  /** Stops a node gracefully (it leaves the cluster); its data stays. */
  public void stopNode(int id) {
    SluiceNode node = nodes.remove(id);
    if (node != null) {
      node.close();
    }
  }

  public SluiceNode node(int id) {
    SluiceNode node = nodes.get(id);
    if (node == null) {
      throw new IllegalStateException("node " + id + " is not running");
    }
    return node;
  }

  public Path dataDir(int id) {
    return dir.resolve("node-" + id);
  }

  public static long upMembers(SluiceNode node) {
    return StreamSupport.stream(
            Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .count();
  }

  /** The running nodes, by id. */
  public List<SluiceNode> nodes() {
    return nodes.keySet().stream().sorted().map(nodes::get).toList();
  }

  public JsonNode describe(int id, String topic) {
    return describe(node(id), topic);
  }

  public JsonNode describe(SluiceNode node, String topic) {
    HttpResponse<String> r = get(node, "/topics/" + topic);
    if (r.statusCode() != 200) {
      throw new AssertionError("GET /topics/" + topic + " -> " + r.statusCode() + " " + r.body());
    }
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.body(), e);
    }
  }

  public HttpResponse<String> get(int id, String path) {
    return get(node(id), path);
  }

  public HttpResponse<String> get(SluiceNode node, String path) {
    return send(HttpRequest.newBuilder(node.apiUri().resolve(path)).GET().build());
  }

  public HttpResponse<String> post(int id, String path, String json) {
    return post(node(id), path, json);
  }

  public HttpResponse<String> post(SluiceNode node, String path, String json) {
    return send(
        HttpRequest.newBuilder(node.apiUri().resolve(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  /** Produces one record (acks=all) and returns its offset. */
  public long produce(int id, String topic, int partition, byte[] value) {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(
                    uri(id, "/topics/" + topic + "/partitions/" + partition + "/records"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(value))
                .build());
    if (r.statusCode() != 200) {
      throw new AssertionError("produce -> " + r.statusCode() + " " + r.body());
    }
    try {
      return JSON.readTree(r.body()).get("offset").asLong();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The security of a cluster from {@link #startSecure}. */
  public Optional<TestSecurity> security() {
    return security;
  }

  /** Sends {@code request}; in a secure cluster with the admin token unless it has a token. */
  public HttpResponse<String> send(HttpRequest request) {
    return send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Like {@link #send(HttpRequest)}, with the body as bytes. */
  public HttpResponse<byte[]> sendBytes(HttpRequest request) {
    return send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) {
    if (security.isPresent() && request.headers().firstValue("Authorization").isEmpty()) {
      request =
          HttpRequest.newBuilder(request, (name, value) -> true)
              .header("Authorization", "Bearer " + security.get().adminToken())
              .build();
    }
    try {
      return http.send(request, body);
    } catch (IOException e) {
      throw new AssertionError(request.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public URI uri(int id, String path) {
    return node(id).apiUri().resolve(path);
  }

  public void awaitCondition(BooleanSupplier condition, String what) throws InterruptedException {
    Instant deadline = Instant.now().plus(TIMEOUT);
    while (!safely(condition)) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + TIMEOUT + " waiting until " + what);
      }
      Thread.sleep(50); // polling interval of a condition wait, not a wait for something
    }
  }

  private static boolean safely(BooleanSupplier condition) {
    try {
      return condition.getAsBoolean();
    } catch (RuntimeException | AssertionError e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Stops every node in parallel (one by one would move the controller at every step). */
  @Override
  public void close() {
    CompletableFuture.allOf(
            nodes.values().stream()
                .map(n -> CompletableFuture.runAsync(n::close))
                .toArray(CompletableFuture[]::new))
        .orTimeout(60, TimeUnit.SECONDS)
        .join();
    nodes.clear();
  }
}
