package dev.sluice.node.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.ApiJson;
import dev.sluice.api.ClusterStatus;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes in one JVM: {@code GET /cluster/status} and the partition gauges of {@code GET
 * /metrics} with every replica in sync, then after a follower's node stops: the leader's gauges and
 * the status name the under-replicated partition, and the leader measured replication round trips
 * while the followers were in sync.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterHealthEndpointsTest {
  private static final String TOPIC = "watched";
  private static final Map<String, String> PARTITION_0 = Map.of("topic", TOPIC, "partition", "0");

  @TempDir static Path dir;
  private TestCluster cluster;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void statusAndGaugesFollowAStoppedFollower() throws Exception {
    cluster =
        TestCluster.start(
            dir,
            3,
            Map.of(
                "sluice.replication.replica-lag-time-max",
                "3s",
                // Forces, so that their histogram has samples.
                "sluice.storage.flush",
                "every-batch"));
    cluster.awaitCondition(
        () ->
            cluster
                    .post(
                        1,
                        "/topics",
                        "{\"name\":\"" + TOPIC + "\",\"partitions\":1,\"replicationFactor\":3}")
                    .statusCode()
                == 201,
        "topic created");
    int leader = cluster.describe(1, TOPIC).get("partitions").get(0).get("leader").asInt();
    cluster.produce(leader, TOPIC, 0, "in sync".getBytes());
    cluster.awaitCondition(
        () -> scrape(leader).value("sluice_partition_in_sync_replicas", PARTITION_0) == 3,
        "three in sync");
    cluster.produce(leader, TOPIC, 0, "measured".getBytes());

    // The receptionist lists the other nodes' reporters a moment after they start (its registry
    // spreads by gossip): until then status names those nodes as unanswered, which is right.
    AtomicReference<ClusterStatus> answered = new AtomicReference<>();
    cluster.awaitCondition(
        () -> {
          try {
            answered.set(status(leader));
          } catch (Exception e) {
            throw new IllegalStateException("GET /cluster/status on node " + leader, e);
          }
          return answered.get().unansweredNodes().isEmpty();
        },
        "every node's reporter answers");
    ClusterStatus whole = answered.get();
    assertEquals(leader, whole.node());
    assertEquals(
        List.of(1, 2, 3), whole.members().stream().map(ClusterStatus.Member::node).toList());
    assertTrue(
        whole.members().stream().allMatch(m -> m.status().equals("Up") && m.reachable()),
        whole.toString());
    assertTrue(List.of(1, 2, 3).contains(whole.controller().node()), whole.toString());
    assertEquals(1, whole.partitions().total());
    assertEquals(List.of(), whole.partitions().underReplicated());
    assertEquals(List.of(), whole.partitions().offline());
    assertEquals(1, whole.leadersPerNode().get(leader));
    assertEquals(3, whole.leadersPerNode().size());
    assertEquals(List.of(), whole.stalledReplicas());
    assertEquals(List.of(), whole.unansweredNodes());

    Scrape before = scrape(leader);
    assertEquals(0, before.value("sluice_partitions_under_replicated"));
    assertEquals(0, before.value("sluice_cluster_partitions_under_replicated"));
    assertEquals(3, before.value("sluice_partition_replicas", PARTITION_0));
    assertTrue(
        before.value("sluice_replication_round_trip_seconds_count") >= 2,
        "both followers confirmed the second record:\n" + before);
    assertTrue(
        before.value("sluice_log_force_seconds_count") >= 1,
        "the leader forced its log before the records counted:\n" + before);

    int follower = leader == 3 ? 2 : 3; // never node 1: keeps the controller where it is
    cluster.stopNode(follower);
    AtomicReference<Scrape> after = new AtomicReference<>();
    cluster.awaitCondition(
        () -> {
          after.set(scrape(leader));
          return after.get().value("sluice_partitions_under_replicated") == 1
              && after.get().value("sluice_cluster_partitions_under_replicated") == 1;
        },
        "the leader's gauges count the partition under-replicated");
    assertEquals(2, after.get().value("sluice_partition_in_sync_replicas", PARTITION_0));
    assertEquals(0, after.get().value("sluice_partitions_offline"));
    assertTrue(after.get().value("sluice_in_sync_shrinks_total") >= 1, after.get()::toString);

    ClusterStatus degraded = status(leader);
    assertEquals(1, degraded.partitions().underReplicated().size(), degraded.toString());
    ClusterStatus.PartitionRef under = degraded.partitions().underReplicated().get(0);
    assertEquals(TOPIC, under.topic());
    assertEquals(leader, under.leader());
    assertTrue(!under.inSync().contains(follower), under.toString());
    assertTrue(
        degraded.members().stream().noneMatch(m -> m.node() == follower && m.status().equals("Up")),
        degraded.toString());
  }

  private ClusterStatus status(int node) throws Exception {
    HttpResponse<String> r = cluster.get(node, "/cluster/status");
    assertEquals(200, r.statusCode(), r.body());
    return ApiJson.mapper().readValue(r.body(), ClusterStatus.class);
  }

  private Scrape scrape(int id) {
    SluiceNode node = cluster.node(id);
    URI uri = URI.create("http://127.0.0.1:" + node.address().managementPort() + "/metrics");
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      return Scrape.parse(r.body());
    } catch (Exception e) {
      throw new AssertionError("scrape of node " + id + " failed: " + e, e);
    }
  }
}
