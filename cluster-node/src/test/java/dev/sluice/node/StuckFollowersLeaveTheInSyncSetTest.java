package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Followers that are alive but cannot replicate (their leader's replication port is gone) leave the
 * in-sync set after {@code replica-lag-time-max}, so an acks=all write waiting on them completes
 * instead of blocking for ever, while the cluster itself stays whole.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StuckFollowersLeaveTheInSyncSetTest {
  private static final String TOPIC = "stuck";

  @TempDir static Path dir;
  private TestCluster cluster;

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void acksAllCompletesOnceStuckFollowersLeaveTheInSyncSet() throws Exception {
    cluster =
        TestCluster.start(
            dir,
            3,
            Map.of(
                "sluice.replication.replica-lag-time-max", "3s",
                "sluice.api.request-timeout", "60s"));
    cluster.awaitCondition(
        () ->
            cluster
                    .post(
                        1,
                        "/topics",
                        "{\"name\":\"" + TOPIC + "\",\"partitions\":1,\"replicationFactor\":3}")
                    .statusCode()
                == 201,
        "topic created on all three nodes");
    int leader = cluster.describe(1, TOPIC).get("partitions").get(0).get("leader").asInt();
    assertEquals(0, cluster.produce(leader, TOPIC, 0, "before".getBytes()));
    cluster.awaitCondition(
        () -> inSync(cluster.describe(leader, TOPIC)).size() == 3, "all three in sync");

    // The followers stay in the cluster but can no longer reach their leader.
    cluster
        .node(leader)
        .replicationServer()
        .unbind()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    CompletableFuture<Long> write =
        CompletableFuture.supplyAsync(() -> cluster.produce(leader, TOPIC, 0, "after".getBytes()));
    assertEquals(1L, write.get(60, TimeUnit.SECONDS));
    cluster.awaitCondition(
        () -> inSync(cluster.describe(leader, TOPIC)).equals(List.of(leader)),
        "only the leader in sync");
    assertEquals(3, TestCluster.upMembers(cluster.node(leader)));
  }

  private static List<Integer> inSync(JsonNode topic) {
    List<Integer> out = new ArrayList<>();
    topic.get("partitions").get(0).get("inSync").forEach(n -> out.add(n.asInt()));
    return out;
  }
}
