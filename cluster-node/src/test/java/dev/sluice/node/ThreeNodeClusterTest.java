package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.ControllerSingleton;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.node.replica.TopicPartition;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes in one JVM (three ActorSystems on fixed cluster ports, every node a seed, one shared
 * H2 journal) form one cluster with one controller: a topic created through one node's API is
 * assigned once, every node answers the same assignment, and every node opens exactly the replicas
 * placed on it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThreeNodeClusterTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private final List<SluiceNode> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void startCluster() throws Exception {
    List<Integer> clusterPorts = List.of(freePort(), freePort(), freePort());
    List<String> seeds = clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList();
    for (int id = 1; id <= 3; id++) {
      Config config =
          ConfigFactory.empty()
              .withValue("sluice.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds))
              .withFallback(
                  TestNodes.singleNode(
                      dir,
                      Map.of(
                          "sluice.node.id",
                          Integer.toString(id),
                          "sluice.data-dir",
                          dir.resolve("node-" + id).toString(),
                          "sluice.cluster.port",
                          Integer.toString(clusterPorts.get(id - 1)))));
      nodes.add(SluiceNode.start(config));
    }
    awaitCondition(
        () -> nodes.stream().allMatch(n -> upMembers(n) == 3), "all three nodes see 3 members Up");
    // The controller places replicas on the nodes that registered with it, so a topic created
    // before all three registered would be refused (RF 3) or placed on fewer nodes.
    awaitCondition(() -> liveNodes(node(1)).equals(Set.of(1, 2, 3)), "all three nodes registered");
  }

  @AfterAll
  void stopCluster() {
    // In parallel: stopping them one by one would move the controller singleton at every step.
    CompletableFuture.allOf(
            nodes.stream()
                .map(n -> CompletableFuture.runAsync(n::close))
                .toArray(CompletableFuture[]::new))
        .orTimeout(60, TimeUnit.SECONDS)
        .join();
  }

  @Test
  void everyNodeServesTheSameAssignmentAndOpensItsOwnReplicas() throws Exception {
    HttpResponse<String> created =
        post(node(2), "/topics", "{\"name\":\"events\",\"partitions\":6,\"replicationFactor\":3}");
    assertEquals(201, created.statusCode(), created.body());

    Map<Integer, List<Integer>> replicasOf = assignmentSeenByEveryNode("events", 6);
    Map<Integer, Integer> leaders = new HashMap<>();
    for (JsonNode p : describe(node(1), "events").get("partitions")) {
      leaders.merge(p.get("leader").asInt(), 1, Integer::sum);
    }
    assertEquals(Map.of(1, 2, 2, 2, 3, 2), leaders, "leaders per node");
    for (List<Integer> replicas : replicasOf.values()) {
      assertEquals(3, new HashSet<>(replicas).size(), "distinct replicas: " + replicas);
    }

    // RF 2 on three nodes: each node holds only some partitions, so "exactly" means something.
    HttpResponse<String> audit =
        post(node(3), "/topics", "{\"name\":\"audit\",\"partitions\":3,\"replicationFactor\":2}");
    assertEquals(201, audit.statusCode(), audit.body());
    Map<String, Map<Integer, List<Integer>>> assignments =
        Map.of("events", replicasOf, "audit", assignmentSeenByEveryNode("audit", 3));
    for (SluiceNode node : nodes) {
      int id = node.settings().node().id();
      Set<TopicPartition> expected = new HashSet<>();
      assignments.forEach(
          (topic, partitions) ->
              partitions.forEach(
                  (partition, replicas) -> {
                    if (replicas.contains(id)) {
                      expected.add(new TopicPartition(topic, partition));
                    }
                  }));
      // Other tests of this class create topics of their own on the same cluster.
      awaitCondition(
          () -> localReplicas(node, assignments.keySet()).equals(expected),
          "node "
              + id
              + " opened exactly "
              + expected
              + ", has "
              + localReplicas(node, assignments.keySet()));
    }

    // Statuses come from every node's replica manager: all 18 replicas of events answer.
    awaitCondition(
        () ->
            StreamSupport.stream(describe(node(1), "events").get("partitions").spliterator(), false)
                .flatMap(p -> StreamSupport.stream(p.get("replicas").spliterator(), false))
                .allMatch(r -> r.get("leo").asLong() >= 0),
        "every replica of events reports its log end offset");
  }

  @Test
  void replicationFactorAboveTheLiveNodesIsRefusedNamingBothNumbers() throws Exception {
    HttpResponse<String> refused =
        post(node(1), "/topics", "{\"name\":\"wide\",\"partitions\":1,\"replicationFactor\":4}");
    assertEquals(400, refused.statusCode(), refused.body());
    assertTrue(
        refused.body().contains("replication factor 4") && refused.body().contains("(3)"),
        refused.body());
    assertEquals(404, get(node(1), "/topics/wide").statusCode());
  }

  @Test
  void aDuplicateTopicIsAConflictOnEveryNode() throws Exception {
    String body = "{\"name\":\"twice\",\"partitions\":2,\"replicationFactor\":2}";
    assertEquals(201, post(node(1), "/topics", body).statusCode());
    for (SluiceNode node : nodes) {
      HttpResponse<String> again = post(node, "/topics", body);
      assertEquals(409, again.statusCode(), again.body());
      assertTrue(again.body().contains("twice"), again.body());
    }
  }

  @Test
  void aRegisteredNodeThatIsNoClusterMemberIsReportedDown() throws Exception {
    // As if node 9 had registered and then died while no controller was running to hear of it.
    ControllerSingleton.init(node(1).system())
        .tell(new Controller.NodeUp(9, "pekko://sluice@127.0.0.1:1|127.0.0.1|2|3|4"));
    awaitCondition(() -> liveNodes(node(1)).contains(9), "node 9 registered");
    awaitCondition(() -> !liveNodes(node(1)).contains(9), "node 9 reported down by the members");
    assertEquals(Set.of(1, 2, 3), liveNodes(node(2)));
  }

  /**
   * Waits until every node answers {@code GET /topics/{topic}}, asserts they answer the same
   * replicas, leaders and epochs, and returns partition -> replicas.
   */
  private Map<Integer, List<Integer>> assignmentSeenByEveryNode(String topic, int partitions)
      throws Exception {
    for (SluiceNode node : nodes) {
      awaitCondition(
          () -> get(node, "/topics/" + topic).statusCode() == 200,
          "node " + node.settings().node().id() + " knows " + topic);
    }
    List<String> views = new ArrayList<>();
    for (SluiceNode node : nodes) {
      views.add(assignment(describe(node, topic)));
    }
    assertEquals(views.get(0), views.get(1), "node 1 and node 2 disagree");
    assertEquals(views.get(0), views.get(2), "node 1 and node 3 disagree");

    JsonNode view = describe(node(1), topic);
    assertEquals(partitions, view.get("partitions").size());
    Map<Integer, List<Integer>> replicasOf = new HashMap<>();
    for (JsonNode p : view.get("partitions")) {
      List<Integer> replicas = new ArrayList<>();
      p.get("replicas").forEach(r -> replicas.add(r.get("node").asInt()));
      replicasOf.put(p.get("partition").asInt(), replicas);
      assertEquals(replicas.get(0), p.get("leader").asInt(), "preferred replica leads: " + p);
    }
    return replicasOf;
  }

  /** The controller's part of a topic view, without the live replica statuses. */
  private static String assignment(JsonNode view) {
    StringBuilder out = new StringBuilder();
    for (JsonNode p : view.get("partitions")) {
      out.append(p.get("partition"))
          .append(": leader ")
          .append(p.get("leader"))
          .append(" epoch ")
          .append(p.get("leaderEpoch"))
          .append(" inSync ")
          .append(p.get("inSync"))
          .append(" replicas ");
      p.get("replicas").forEach(r -> out.append(r.get("node")).append(' '));
      out.append('\n');
    }
    return out.toString();
  }

  private SluiceNode node(int id) {
    return nodes.get(id - 1);
  }

  private static Set<TopicPartition> localReplicas(SluiceNode node, Set<String> topics) {
    return node.replicas().all().stream()
        .map(PartitionReplica::topicPartition)
        .filter(tp -> topics.contains(tp.topic()))
        .collect(Collectors.toSet());
  }

  private static long upMembers(SluiceNode node) {
    return StreamSupport.stream(
            Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .count();
  }

  /** The live nodes as the controller sees them, asked through this node's singleton proxy. */
  private static Set<Integer> liveNodes(SluiceNode node) {
    // init returns the proxy the node already started; the manager is not started twice.
    ActorRef<Controller.Command> controller = ControllerSingleton.init(node.system());
    try {
      return AskPattern.<Controller.Command, MetadataSnapshot>ask(
              controller,
              Controller.GetMetadata::new,
              Duration.ofSeconds(3),
              node.system().scheduler())
          .toCompletableFuture()
          .get(5, TimeUnit.SECONDS)
          .liveNodes()
          .keySet();
    } catch (Exception e) {
      return Set.of();
    }
  }

  private JsonNode describe(SluiceNode node, String topic) {
    HttpResponse<String> r = get(node, "/topics/" + topic);
    assertEquals(200, r.statusCode(), r.body());
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.body(), e);
    }
  }

  private HttpResponse<String> get(SluiceNode node, String path) {
    return send(HttpRequest.newBuilder(uri(node, path)).GET().build());
  }

  private HttpResponse<String> post(SluiceNode node, String path, String json) {
    return send(
        HttpRequest.newBuilder(uri(node, path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  private HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(request.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static URI uri(SluiceNode node, String path) {
    return node.apiUri().resolve(path);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void awaitCondition(BooleanSupplier condition, String what)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(TIMEOUT);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + TIMEOUT + " waiting until " + what);
      }
      Thread.sleep(50); // polling interval of a condition wait, not a wait for something
    }
  }
}
