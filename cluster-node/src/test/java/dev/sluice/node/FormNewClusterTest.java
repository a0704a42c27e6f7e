package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.sluice.config.ClusterSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice.cluster.form-new-cluster}: the first node of a cluster none of whose nodes runs
 * forms it at once instead of asking its seeds for a seed-node-timeout; the others join it as
 * usual; a later incarnation of the node in the same process never forms a cluster again.
 */
class FormNewClusterTest {

  @Test
  void theFirstNodeFormsTheClusterWithoutWaitingForTheOtherSeedsAndTheOthersJoinIt(
      @TempDir Path dir) throws Exception {
    try (TestCluster cluster = TestCluster.unstarted(dir, 2, Map.of())) {
      // Far longer than the test's own timeout: without the setting, node 1 would still be asking
      // node 2 (not running) to let it in when the test gives up.
      Map<String, String> patientSeeds = Map.of("pekko.cluster.seed-node-timeout", "10m");
      cluster.startNode(
          1,
          List.of(1, 2),
          Map.of("pekko.cluster.seed-node-timeout", "10m", ClusterSettings.FORM_NEW_CLUSTER, "on"));
      SluiceNode first = cluster.node(1);
      cluster.awaitCondition(
          () -> TestCluster.upMembers(first) == 1, "node 1 formed the cluster at once");

      cluster.startNode(2, List.of(1, 2), patientSeeds);
      SluiceNode second = cluster.node(2);
      cluster.awaitCondition(
          () -> TestCluster.upMembers(first) == 2 && TestCluster.upMembers(second) == 2,
          "node 2 joined node 1's cluster");
    }
  }

  @Test
  void aLaterIncarnationInTheSameProcessNeverFormsAClusterOfItsOwn() {
    var config = ConfigFactory.parseMap(Map.of(ClusterSettings.FORM_NEW_CLUSTER, true, "x", 1));
    assertTrue(config.getBoolean(ClusterSettings.FORM_NEW_CLUSTER));
    var later = SluiceNode.laterIncarnation(config);
    assertFalse(later.getBoolean(ClusterSettings.FORM_NEW_CLUSTER));
    assertTrue(later.hasPath("x"), "the rest of the config stays");
  }
}
