package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.ControllerSingleton;
import dev.sluice.node.controller.ElectionPolicy;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.protocol.PartitionId;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
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

  @TempDir static Path dir;
  private TestCluster cluster;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = TestCluster.start(dir, 3, Map.of());
    // The controller places replicas on the nodes that registered with it, so a topic created
    // before all three registered would be refused (RF 3) or placed on fewer nodes.
    awaitCondition(() -> liveNodes(node(1)).equals(Set.of(1, 2, 3)), "all three nodes registered");
  }

  @AfterAll
  void stopCluster() {
    cluster.close();
  }

  @Test
  void everyNodeServesTheSameAssignmentAndOpensItsOwnReplicas() throws Exception {
    HttpResponse<String> created =
        cluster.post(
            node(2), "/topics", "{\"name\":\"events\",\"partitions\":6,\"replicationFactor\":3}");
    assertEquals(201, created.statusCode(), created.body());

    Map<Integer, List<Integer>> replicasOf = assignmentSeenByEveryNode("events", 6);
    Map<Integer, Integer> leaders = new HashMap<>();
    for (JsonNode p : cluster.describe(node(1), "events").get("partitions")) {
      leaders.merge(p.get("leader").asInt(), 1, Integer::sum);
    }
    assertEquals(Map.of(1, 2, 2, 2, 3, 2), leaders, "leaders per node");
    for (List<Integer> replicas : replicasOf.values()) {
      assertEquals(3, new HashSet<>(replicas).size(), "distinct replicas: " + replicas);
    }

    // RF 2 on three nodes: each node holds only some partitions, so "exactly" means something.
    HttpResponse<String> audit =
        cluster.post(
            node(3), "/topics", "{\"name\":\"audit\",\"partitions\":3,\"replicationFactor\":2}");
    assertEquals(201, audit.statusCode(), audit.body());
    Map<String, Map<Integer, List<Integer>>> assignments =
        Map.of("events", replicasOf, "audit", assignmentSeenByEveryNode("audit", 3));
    for (SluiceNode node : cluster.nodes()) {
      int id = node.settings().node().id();
      Set<PartitionId> expected = new HashSet<>();
      assignments.forEach(
          (topic, partitions) ->
              partitions.forEach(
                  (partition, replicas) -> {
                    if (replicas.contains(id)) {
                      expected.add(new PartitionId(topic, partition));
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
            StreamSupport.stream(
                    cluster.describe(node(1), "events").get("partitions").spliterator(), false)
                .flatMap(p -> StreamSupport.stream(p.get("replicas").spliterator(), false))
                .allMatch(r -> r.get("leo").asLong() >= 0),
        "every replica of events reports its log end offset");
  }

  @Test
  void replicationFactorAboveTheLiveNodesIsRefusedNamingBothNumbers() throws Exception {
    HttpResponse<String> refused =
        cluster.post(
            node(1), "/topics", "{\"name\":\"wide\",\"partitions\":1,\"replicationFactor\":4}");
    assertEquals(400, refused.statusCode(), refused.body());
    assertTrue(
        refused.body().contains("replication factor 4") && refused.body().contains("(3)"),
        refused.body());
    assertEquals(404, cluster.get(node(1), "/topics/wide").statusCode());
  }

  @Test
  void aDuplicateTopicIsAConflictOnEveryNode() throws Exception {
    String body = "{\"name\":\"twice\",\"partitions\":2,\"replicationFactor\":2}";
    assertEquals(201, cluster.post(node(1), "/topics", body).statusCode());
    for (SluiceNode node : cluster.nodes()) {
      HttpResponse<String> again = cluster.post(node, "/topics", body);
      assertEquals(409, again.statusCode(), again.body());
      assertTrue(again.body().contains("twice"), again.body());
    }
  }

  @Test
  void everyReplicaOfANewTopicIsTiedToTheStorageIdOfItsNodesDataDirectory() throws Exception {
    ActorRef<Controller.Command> controller =
        ControllerSingleton.init(node(1).system(), ElectionPolicy.CLEAN_ONLY);
    Controller.CreateTopicReply reply =
        AskPattern.<Controller.Command, Controller.CreateTopicReply>ask(
                controller,
                replyTo -> new Controller.CreateTopic("disks", 3, 3, replyTo),
                Duration.ofSeconds(10),
                node(1).system().scheduler())
            .toCompletableFuture()
            .get(15, TimeUnit.SECONDS);

    Map<Integer, String> onDisk = new HashMap<>();
    for (int id = 1; id <= 3; id++) {
      // The file exists since the node started: this reads it, it does not create one.
      onDisk.put(id, StorageId.loadOrCreate(cluster.dataDir(id)).text());
    }
    assertEquals(3, new HashSet<>(onDisk.values()).size(), "distinct ids: " + onDisk);
    for (PartitionAssignment p : ((Controller.TopicCreated) reply).topic().partitions()) {
      assertEquals(onDisk, p.inSyncStorageIds(), p.toString());
    }
  }

  @Test
  void aRegisteredNodeThatIsNoClusterMemberIsReportedDown() throws Exception {
    // As if node 9 had registered and then died while no controller was running to hear of it.
    ControllerSingleton.init(node(1).system(), ElectionPolicy.CLEAN_ONLY)
        .tell(new Controller.NodeUp(9, "pekko://sluice@127.0.0.1:1|127.0.0.1|2|3|4", "disk-9"));
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
    for (SluiceNode node : cluster.nodes()) {
      awaitCondition(
          () -> cluster.get(node, "/topics/" + topic).statusCode() == 200,
          "node " + node.settings().node().id() + " knows " + topic);
    }
    List<String> views = new ArrayList<>();
    for (SluiceNode node : cluster.nodes()) {
      views.add(assignment(cluster.describe(node, topic)));
    }
    assertEquals(views.get(0), views.get(1), "node 1 and node 2 disagree");
    assertEquals(views.get(0), views.get(2), "node 1 and node 3 disagree");

    JsonNode view = cluster.describe(node(1), topic);
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
    return cluster.node(id);
  }

  private void awaitCondition(BooleanSupplier condition, String what) throws InterruptedException {
    cluster.awaitCondition(condition, what);
  }

  private static Set<PartitionId> localReplicas(SluiceNode node, Set<String> topics) {
    return node.replicas().all().stream()
        .map(PartitionReplica::partitionId)
        .filter(tp -> topics.contains(tp.topic()))
        .collect(Collectors.toSet());
  }

  /** The live nodes as the controller sees them, asked through this node's singleton proxy. */
  private static Set<Integer> liveNodes(SluiceNode node) {
    // init returns the proxy the node already started; the manager is not started twice.
    ActorRef<Controller.Command> controller =
        ControllerSingleton.init(node.system(), ElectionPolicy.CLEAN_ONLY);
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
}
