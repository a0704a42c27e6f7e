package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A topic deletion cut short by {@code kill -9} completes once the killed node runs again.
 *
 * <ol>
 *   <li>A replica's node is killed, and its data directory is left as a kill between the two steps
 *       of a removal leaves it: one partition directory already renamed to {@code .deleted}, the
 *       other untouched. The topic is deleted meanwhile. Restarted, the node removes the leftover
 *       at start-up and the untouched directory when the controller's metadata names the deleted
 *       topic.
 *   <li>The node hosting the controller (the oldest member) is killed the moment the deletion of
 *       another topic is acknowledged, before it or every replica had acted on it. The controller
 *       recovers the deletion from its journal on a survivor; every replica, the restarted node's
 *       included, removes its data.
 * </ol>
 */
class TopicDeleteInterruptedByKill9IT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final byte[] VALUE = "k".repeat(1000).getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  private NodeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aDeleteCutShortByKill9CompletesAfterTheRestart() throws Exception {
    cluster = NodeCluster.builder(dir).start();
    TopicAdmin admin = new TopicAdmin(cluster);
    ProduceClient client = new ProduceClient(cluster, Duration.ofSeconds(30));
    int controller = controllerNode();
    int replica = cluster.nodes().stream().filter(n -> n != controller).findFirst().orElseThrow();

    // 1. A replica killed in the middle of removing its copy.
    filled(client, "first");
    cluster.kill9(replica);
    Path renamed = cluster.replicaDir(replica, "first", 0);
    Files.move(renamed, renamed.resolveSibling(renamed.getFileName() + ".deleted"));
    admin.delete(controller, "first");
    for (int node : cluster.nodes()) {
      if (node != replica) {
        admin.awaitNoDataOf(node, "first", WAIT);
      }
    }
    assertEquals(2, admin.dataOf(replica, "first").size(), "the killed node's copy is still there");
    restart(replica);
    admin.awaitNoDataOf(replica, "first", WAIT);

    // 2. The controller's node killed the moment a deletion is acknowledged.
    filled(client, "second");
    int other = cluster.nodes().stream().filter(n -> n != controller).findFirst().orElseThrow();
    admin.delete(other, "second");
    cluster.kill9(controller);
    restart(controller);
    for (int node : cluster.nodes()) {
      admin.awaitNoDataOf(node, "second", WAIT);
      assertEquals(
          404,
          admin.send(node, "GET", "/topics/second", null).statusCode(),
          "node " + node + " no longer knows topic second");
    }
    assertTrue(
        client.produce("second", 0, VALUE, ProduceClient.Acks.ALL) instanceof ProduceClient.Failed f
            && f.detail().startsWith("404"),
        "a produce to the deleted topic is refused with 404");
  }

  /** A topic of two partitions on every node, with records, fully replicated. */
  private void filled(ProduceClient client, String topic) throws InterruptedException {
    cluster.createTopic(topic, 2, 3, NodeCluster.STARTUP);
    for (int i = 0; i < 10; i++) {
      assertTrue(
          client.produce(topic, i % 2, VALUE, ProduceClient.Acks.ALL)
              instanceof ProduceClient.Acked);
    }
    cluster.awaitConverged(topic, List.of(0, 1), WAIT);
  }

  private void restart(int node) throws Exception {
    cluster.start(node);
    cluster.awaitStarted(node, NodeCluster.STARTUP);
    cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);
  }

  /** The node hosting the controller singleton: the oldest member. */
  private int controllerNode() {
    String oldest = cluster.members(1).orElseThrow().get("oldest").asText();
    return cluster.nodes().stream()
        .filter(n -> oldest.equals(cluster.clusterAddress(n)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no node at " + oldest));
  }
}
