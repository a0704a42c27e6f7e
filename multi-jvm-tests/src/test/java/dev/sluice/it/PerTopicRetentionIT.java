package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A topic's own retention overrides the node default on every replica: with no retention on the
 * nodes, a topic created with {@code retention.bytes = 128KiB} is trimmed on all three replicas
 * while a topic with the node default, written the same way, keeps its first segment. Setting the
 * limit on the second topic later ({@code topic alter}) trims it too, at the replicas' next
 * retention pass, without a restart.
 *
 * <p>Small segments (64 KiB, two 24 KiB records each) and a retention pass every second make this a
 * few hundred kilobytes in a few dozen requests.
 */
class PerTopicRetentionIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** About a third of a segment: a few records roll one. */
  private static final byte[] VALUE = "r".repeat(24 * 1024).getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  private NodeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aTopicsRetentionTrimsItAloneOnEveryReplica() throws Exception {
    cluster =
        NodeCluster.builder(dir)
            .set("sluice.storage.segment-bytes", "64KiB")
            .set("sluice.storage.max-batch-bytes", "32KiB")
            .set("sluice.storage.retention.check-interval", "1s")
            .start();
    TopicAdmin admin = new TopicAdmin(cluster);
    admin.create(1, "trimmed", 1, 3, "{\"retention.bytes\":\"128KiB\"}");
    cluster.createTopic("kept", 1, 3, NodeCluster.STARTUP);
    cluster.awaitFullyInSync("trimmed", WAIT);
    ProduceClient client = new ProduceClient(cluster, Duration.ofSeconds(30));
    for (int i = 0; i < 16; i++) { // about 400 KB each: six segments of two records
      for (String topic : List.of("trimmed", "kept")) {
        assertTrue(
            client.produce(topic, 0, VALUE, ProduceClient.Acks.ALL) instanceof ProduceClient.Acked,
            topic + " record " + i);
      }
    }
    cluster.awaitConverged("trimmed", List.of(0), WAIT);
    cluster.awaitConverged("kept", List.of(0), WAIT);

    for (int node : cluster.nodes()) {
      awaitTrimmed(admin, node, "trimmed");
    }
    // Every replica has run retention passes since: the default topic keeps everything.
    for (int node : cluster.nodes()) {
      assertEquals(
          Optional.of(0L), admin.logStart(node, "kept", 0), "kept keeps its log on node " + node);
    }

    admin.alter(2, "kept", "{\"retention.bytes\":\"128KiB\"}");
    for (int node : cluster.nodes()) {
      awaitTrimmed(admin, node, "kept");
    }
  }

  private static void awaitTrimmed(TopicAdmin admin, int node, String topic)
      throws InterruptedException {
    Await.value(
        () -> admin.logStart(node, topic, 0).filter(start -> start > 0),
        WAIT,
        Duration.ofMillis(250),
        "retention trims " + topic + " on node " + node,
        () -> "log start " + admin.logStart(node, topic, 0));
  }
}
