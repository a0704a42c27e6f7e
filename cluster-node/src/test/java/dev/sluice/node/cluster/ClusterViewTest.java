package dev.sluice.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The island rule as a table: which of two views gives way, seen from either side. */
class ClusterViewTest {
  private static final String N1 = "pekko://sluice@127.0.0.1:2551";
  private static final String N2 = "pekko://sluice@127.0.0.1:2552";
  private static final String N3 = "pekko://sluice@127.0.0.1:2553";
  private static final String N4 = "pekko://sluice@127.0.0.1:2554";

  private static String u(String address, long uid) {
    return address + "#" + uid;
  }

  private static ClusterView view(String oldest, String... members) {
    return new ClusterView(List.of(members), oldest);
  }

  @Test
  void aRestartedFirstSeedAloneGivesWayToTheOthersCluster() {
    ClusterView island = view(N1, u(N1, 7));
    // The real cluster may still list the old incarnation of node 1 (another uid).
    ClusterView real = view(N1, u(N1, 3), u(N2, 4), u(N3, 5));
    assertTrue(island.isIslandNextTo(real, u(N1, 7)));
    assertFalse(real.isIslandNextTo(island, u(N2, 4)));

    ClusterView realWithoutIt = view(N2, u(N2, 4), u(N3, 5));
    assertTrue(island.isIslandNextTo(realWithoutIt, u(N1, 7)));
    assertFalse(realWithoutIt.isIslandNextTo(island, u(N2, 4)));
  }

  @Test
  void ofTwoClustersOfEqualSizeTheOneWithTheLowerOldestAddressStays() {
    ClusterView a = view(N1, u(N1, 1), u(N4, 4));
    ClusterView b = view(N2, u(N2, 2), u(N3, 3));
    assertFalse(a.isIslandNextTo(b, u(N4, 4)));
    assertTrue(b.isIslandNextTo(a, u(N3, 3)));
    assertTrue(b.isIslandNextTo(a, u(N2, 2)));
  }

  @Test
  void twoIncarnationsOfOneOldestNodeAreToldApartByTheirUniqueAddresses() {
    ClusterView a = view(N1, u(N1, 10), u(N2, 2));
    ClusterView b = view(N1, u(N1, 20), u(N3, 3));
    assertTrue(a.isIslandNextTo(b, u(N2, 2)) != b.isIslandNextTo(a, u(N3, 3)));
  }

  @Test
  void oneClusterSeenByTwoNodesIsNoIsland() {
    ClusterView mine = view(N1, u(N1, 1), u(N2, 2));
    ClusterView lagging = view(N1, u(N1, 1), u(N2, 2), u(N3, 3));
    assertFalse(mine.isIslandNextTo(lagging, u(N2, 2)), "a member in common: one cluster");
    assertFalse(mine.isIslandNextTo(view(N1, u(N1, 1), u(N3, 3)), u(N2, 2)));
  }

  @Test
  void aNodeThatIsNotUpOrAnAnswerFromANodeThatIsNotUpDecideNothing() {
    ClusterView real = view(N2, u(N2, 2), u(N3, 3));
    assertFalse(ClusterView.none().isIslandNextTo(real, u(N1, 1)));
    assertFalse(view(N1, u(N1, 1)).isIslandNextTo(ClusterView.none(), u(N1, 1)));
    // self is not among the Up members of its own view: it is still joining
    assertFalse(view(N1, u(N1, 9)).isIslandNextTo(real, u(N1, 1)));
  }

  @Test
  void membersAreKeptSortedSoThatBothSidesCompareTheSameThing() {
    assertEquals(
        List.of(u(N1, 1), u(N2, 2)), new ClusterView(List.of(u(N2, 2), u(N1, 1)), N1).members());
  }
}
