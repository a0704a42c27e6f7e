package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An island formed on purpose ({@link dev.sluice.node.cluster.IslandProbe}), and its healing. Node
 * 1, the first seed of its list [1, 2, 3], starts while 2 and 3 do not run and, after a short
 * seed-node-timeout, forms a cluster of its own; then 2 and 3 form theirs from the list [2, 3],
 * which does not name node 1. Node 1's probe finds the bigger cluster at seeds 2 and 3 and downs
 * itself; started again as {@code runBlocking} would start it (same config, Pekko's default
 * seed-node-timeout of the node), it joins 2 and 3.
 */
class IslandHealsTest {

  @Test
  void aNodeThatFormedAClusterOfItsOwnDownsItselfAndJoinsTheRealOneWhenStartedAgain(
      @TempDir Path dir) throws Exception {
    try (TestCluster cluster = TestCluster.unstarted(dir, 3, Map.of())) {
      List<Integer> allSeeds = List.of(1, 2, 3);
      // Its own controller journal: the island hosts a controller singleton of its own, which
      // must not write into the real cluster's journal (that is the harm an island does).
      cluster.startNode(
          1,
          allSeeds,
          Map.of(
              "pekko.cluster.seed-node-timeout",
              "1s",
              "sluice.controller.h2-path",
              dir.resolve("island/journal").toString()));
      SluiceNode island = cluster.node(1);
      cluster.awaitCondition(
          () -> TestCluster.upMembers(island) == 1, "node 1 formed a cluster of its own");

      Map<String, String> quickFormation = Map.of("pekko.cluster.seed-node-timeout", "2s");
      cluster.startNode(2, List.of(2, 3), quickFormation);
      cluster.startNode(3, List.of(2, 3), quickFormation);
      SluiceNode node2 = cluster.node(2);
      SluiceNode node3 = cluster.node(3);
      cluster.awaitCondition(
          () -> TestCluster.upMembers(node2) == 2 && TestCluster.upMembers(node3) == 2,
          "nodes 2 and 3 formed their cluster");
      assertEquals(1, TestCluster.upMembers(island), "two clusters side by side");

      cluster.awaitCondition(
          () -> island.system().whenTerminated().isCompleted(), "node 1 gave way (downed itself)");
      Optional<CoordinatedShutdown.Reason> reason =
          CoordinatedShutdown.get(island.system()).getShutdownReason();
      assertTrue(
          reason.isPresent() && SluiceNode.rejoins(reason.get()),
          "runBlocking starts a downed node again; reason " + reason);

      cluster.startNode(1, allSeeds, Map.of());
      SluiceNode rejoined = cluster.node(1);
      cluster.awaitCondition(
          () ->
              TestCluster.upMembers(rejoined) == 3
                  && TestCluster.upMembers(node2) == 3
                  && TestCluster.upMembers(node3) == 3,
          "all three nodes in one cluster");
      assertFalse(node2.system().whenTerminated().isCompleted(), "the bigger cluster stayed");
      assertFalse(node3.system().whenTerminated().isCompleted(), "the bigger cluster stayed");
    }
  }
}
