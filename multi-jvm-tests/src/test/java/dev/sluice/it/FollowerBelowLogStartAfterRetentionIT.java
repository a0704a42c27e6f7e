package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention moves a leader's log start past where a stopped follower's log ends. The follower,
 * back, cannot fetch from its end any more (the incident's class: a position the leader cannot
 * serve). It must restart empty at the leader's log start, once, and catch up from there, with no
 * loop of reconnects: exactly one "emptied; log restarts" line in its output, its log start at or
 * above the leader's old log start, and the replicas byte-identical where they overlap.
 *
 * <p>Small segments (64 KiB) and a 256 KiB retention limit applied every second make retention
 * visible with a few megabytes of records.
 */
class FollowerBelowLogStartAfterRetentionIT {
  private static final String TOPIC = "r";
  private static final Duration CATCH_UP = Duration.ofSeconds(90);
  private static final byte[] VALUE = "r".repeat(2000).getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  private NodeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aFollowerBelowTheLeadersLogStartRestartsThereOnceAndCatchesUp() throws Exception {
    cluster =
        NodeCluster.builder(dir)
            .set("sluice.storage.segment-bytes", "64KiB")
            .set("sluice.storage.max-batch-bytes", "32KiB")
            .set("sluice.storage.retention.bytes", "256KiB")
            .set("sluice.storage.retention.check-interval", "1s")
            .start();
    TopicState topic = cluster.createTopic(TOPIC, 1, 3, NodeCluster.STARTUP);
    TopicState.PartitionState p = topic.partition(0);
    int leader = p.leader();
    int follower = p.followers().stream().filter(n -> n != 1).findFirst().orElseThrow();
    ProduceClient client = new ProduceClient(cluster, Duration.ofSeconds(30));
    for (int i = 0; i < 20; i++) {
      assertTrue(
          client.produce(TOPIC, 0, VALUE, ProduceClient.Acks.ALL) instanceof ProduceClient.Acked);
    }
    cluster.awaitConverged(TOPIC, List.of(0), CATCH_UP);
    long followerEnd = cluster.describe(TOPIC).orElseThrow().partition(0).replica(follower).leo();

    cluster.stop(follower); // SIGTERM: it leaves the cluster and closes its logs
    for (int i = 0; i < 1000; i++) { // about 2 MB: eight times the retention limit
      assertTrue(
          client.produce(TOPIC, 0, VALUE, ProduceClient.Acks.ALL) instanceof ProduceClient.Acked,
          "record " + i);
    }
    long leaderStart =
        Await.value(
            () -> logStart(leader).filter(start -> start > followerEnd),
            CATCH_UP,
            Duration.ofMillis(250),
            "retention moves the leader's log start past the follower's end " + followerEnd,
            () -> "leader log start " + logStart(leader));

    cluster.start(follower);
    cluster.awaitStarted(follower, NodeCluster.STARTUP);
    cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);
    cluster.awaitConverged(TOPIC, List.of(0), CATCH_UP);

    long restarts =
        cluster.jvm(follower).output().stream()
            .filter(l -> l.contains("emptied; log restarts at offset"))
            .count();
    assertEquals(1, restarts, "the follower restarted its log once, at the leader's log start");
    assertEquals(List.of(), cluster.stopAll(Duration.ofSeconds(60)), "clean stop");
    try (ReplicaLogs logs = ReplicaLogs.open(cluster, TOPIC, 0, cluster.nodes())) {
      long start = logs.logs().get(follower).logStartOffset();
      assertTrue(
          start >= leaderStart, "the follower starts at " + start + ", not below " + leaderStart);
      ReplicaLogs.Comparison c = logs.compare();
      assertTrue(c.identical(), "replicas identical where they overlap: " + c.firstDifference());
      for (int node : cluster.nodes()) {
        assertEquals(
            logs.logs().get(leader).logEndOffset(),
            logs.logs().get(node).logEndOffset(),
            "log end of node " + node);
      }
    }
  }

  /** The leader's log start as its management API reports it. */
  private Optional<Long> logStart(int node) {
    return cluster
        .localReplicas(node)
        .flatMap(
            json -> {
              for (JsonNode r : json.path("replicas")) {
                if (TOPIC.equals(r.path("topic").asText()) && r.path("partition").asInt() == 0) {
                  return Optional.of(r.path("status").path("logStartOffset").asLong());
                }
              }
              return Optional.empty();
            });
  }
}
