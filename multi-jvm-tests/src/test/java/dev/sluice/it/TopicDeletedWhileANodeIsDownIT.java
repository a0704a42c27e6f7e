package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A topic is deleted while one of its replicas' nodes is down, and a new topic of the same name is
 * created before that node returns. The live replicas remove their data at once; the returning node
 * removes its copy of the deleted incarnation (it learns of the deletion from the controller's
 * metadata, by topic id), keeps the data of the other topic it holds, and serves that topic again.
 */
class TopicDeletedWhileANodeIsDownIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final byte[] VALUE = "v".repeat(1000).getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  private NodeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aNodeThatWasDownRemovesItsCopyWhenItReturns() throws Exception {
    cluster = NodeCluster.builder(dir).start();
    TopicAdmin admin = new TopicAdmin(cluster);
    cluster.createTopic("gone", 2, 3, NodeCluster.STARTUP);
    cluster.createTopic("kept", 1, 3, NodeCluster.STARTUP);
    ProduceClient client = new ProduceClient(cluster, Duration.ofSeconds(30));
    for (int i = 0; i < 20; i++) {
      assertTrue(
          client.produce("gone", i % 2, VALUE, ProduceClient.Acks.ALL)
              instanceof ProduceClient.Acked);
      assertTrue(
          client.produce("kept", 0, VALUE, ProduceClient.Acks.ALL) instanceof ProduceClient.Acked);
    }
    cluster.awaitConverged("gone", List.of(0, 1), WAIT);
    cluster.awaitConverged("kept", List.of(0), WAIT);
    String oldId = TopicAdmin.topicId(cluster.replicaDir(3, "gone", 0)).orElseThrow();

    cluster.stop(3);
    JsonNode deleted = admin.delete(1, "gone");
    assertEquals(oldId, deleted.get("topicId").asText());
    for (int node : List.of(1, 2)) {
      admin.awaitNoDataOf(node, "gone", WAIT);
    }
    assertEquals(2, admin.dataOf(3, "gone").size(), "node 3 was down: its copy is still there");
    // The name is free again: a new incarnation on the live nodes.
    JsonNode recreated = admin.create(1, "gone", 1, 2, "{}");
    assertNotEquals(oldId, recreated.get("topicId").asText());

    cluster.start(3);
    cluster.awaitStarted(3, NodeCluster.STARTUP);
    cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);

    Await.until(
        () -> {
          try {
            return admin.dataOf(3, "gone").stream()
                .noneMatch(p -> p.getFileName().toString().startsWith("gone-"));
          } catch (IOException e) {
            return false;
          }
        },
        WAIT,
        "node 3 removes its copy of the deleted incarnation of gone");
    assertTrue(Files.isDirectory(cluster.replicaDir(3, "kept", 0)), "other topics stay");
    cluster.awaitConverged("kept", List.of(0), WAIT);
    assertTrue(
        client.produce("kept", 0, VALUE, ProduceClient.Acks.ALL) instanceof ProduceClient.Acked);
    assertEquals(
        404,
        admin.send(3, "GET", "/topics/gone/partitions/1/records/0", null).statusCode(),
        "the deleted incarnation's partition 1 does not exist");
    for (int node : cluster.nodes()) {
      assertFalse(
          admin.dataOf(node, "gone").stream()
              .anyMatch(p -> p.getFileName().toString().endsWith(".deleted")),
          "no removal leftovers on node " + node);
    }
  }
}
