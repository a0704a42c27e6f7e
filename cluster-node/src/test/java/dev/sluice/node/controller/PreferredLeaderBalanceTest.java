package dev.sluice.node.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.node.controller.Controller.Event;
import dev.sluice.node.controller.Controller.Event.LeaderElected;
import dev.sluice.node.controller.Controller.Event.NodeJoined;
import dev.sluice.node.controller.Controller.Event.TopicCreated;
import dev.sluice.node.controller.ControllerState.Changes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The preferred-leader decision ({@link ControllerState#preferredLeaderMoves}): leadership goes
 * back only to a preferred replica that is live, in sync and on its recorded disk, with a bumped
 * epoch and the in-sync set unchanged; the imbalance threshold holds back a node whose share of
 * misplaced leaders is small.
 */
class PreferredLeaderBalanceTest {

  private static final ElectionPolicy CLEAN = ElectionPolicy.CLEAN_ONLY;

  /**
   * Nodes 1..n live; topic t with {@code partitions} partitions of RF 3 placed as the controller
   * does.
   */
  private static ControllerState cluster(int nodes, int partitions) {
    ControllerState s = ControllerState.empty();
    for (int n = 1; n <= nodes; n++) {
      s = s.apply(new NodeJoined(n, "node-" + n, "disk-" + n));
    }
    List<List<Integer>> placement =
        ReplicaPlacement.assign(s.liveNodes().keySet(), partitions, 3, 0);
    List<PartitionAssignment> ps =
        java.util.stream.IntStream.range(0, partitions)
            .mapToObj(i -> PartitionAssignment.initial(i, placement.get(i), Map.of()))
            .toList();
    return s.apply(new TopicCreated(new TopicMetadata("t", ps, "id-t", Map.of())));
  }

  private static ControllerState after(ControllerState s, Changes changes) {
    for (Event e : changes.events()) {
      s = s.apply(e);
    }
    return s;
  }

  /** Node {@code n} leaves and returns; every leader re-admits it to its in-sync set. */
  private static ControllerState restarted(ControllerState s, int n) {
    s = after(s, s.nodeDown(n, CLEAN));
    s = after(s, s.nodeUp(n, "node-" + n, "disk-" + n, CLEAN));
    for (PartitionAssignment p : s.topics().get("t").partitions()) {
      if (p.replicas().contains(n) && !p.inSync().contains(n)) {
        s = s.apply(s.inSyncChange("t", p, p.replicas()));
      }
    }
    return s;
  }

  private static long ledByPreferred(ControllerState s) {
    return s.topics().get("t").partitions().stream()
        .filter(p -> p.leader() == p.replicas().get(0))
        .count();
  }

  @Test
  void aBalancedClusterMovesNothing() {
    ControllerState s = cluster(3, 6);

    assertEquals(Changes.NONE.events(), s.preferredLeaderMoves(0).events());
  }

  @Test
  void afterARollingRestartEveryLeaderGoesBackToItsPreferredReplica() {
    ControllerState s = cluster(3, 6);
    for (int n = 1; n <= 3; n++) {
      s = restarted(s, n);
    }
    assertTrue(ledByPreferred(s) < 6, "the restarts moved some leaders");

    Changes moves = s.preferredLeaderMoves(10);
    ControllerState balanced = after(s, moves);

    assertEquals(6, ledByPreferred(balanced));
    for (Event e : moves.events()) {
      LeaderElected elected = (LeaderElected) e;
      PartitionAssignment before = s.topics().get("t").partition(elected.partition());
      assertEquals(before.replicas().get(0), elected.leader());
      assertEquals(before.leaderEpoch() + 1, elected.leaderEpoch());
      PartitionAssignment now = balanced.topics().get("t").partition(elected.partition());
      assertEquals(before.inSync(), now.inSync(), "the in-sync set stays as it is");
    }
    assertEquals(List.of(), balanced.preferredLeaderMoves(0).events());
  }

  @Test
  void aPreferredReplicaOutOfTheInSyncSetOrDownDoesNotLead() {
    ControllerState s = cluster(3, 3);
    int preferred = s.topics().get("t").partition(0).replicas().get(0);
    s = after(s, s.nodeDown(preferred, CLEAN));
    assertEquals(List.of(), s.preferredLeaderMoves(0).events(), "down");

    s = after(s, s.nodeUp(preferred, "node-" + preferred, "disk-" + preferred, CLEAN));
    assertEquals(List.of(), s.preferredLeaderMoves(0).events(), "live but not in sync");
  }

  @Test
  void aPreferredReplicaOnAnotherDiskDoesNotLead() {
    ControllerState s = restarted(cluster(3, 3), 1);
    // Node 1's disk is replaced while it is away again; it returns on the new one.
    s = after(s, s.nodeDown(1, CLEAN));
    s = after(s, s.nodeUp(1, "node-1", "disk-1-new", CLEAN));

    for (Event e : s.preferredLeaderMoves(0).events()) {
      assertTrue(((LeaderElected) e).leader() != 1, e.toString());
    }
  }

  @Test
  void theImbalanceThresholdHoldsBackASmallShare() {
    // 10 partitions: node 1 prefers 4 of them (0, 3, 6, 9).
    ControllerState s = cluster(3, 10);
    List<PartitionAssignment> ps = s.topics().get("t").partitions();
    PartitionAssignment p0 = ps.get(0);
    assertEquals(1, p0.replicas().get(0));
    // Only partition 0 is led elsewhere (as after a manual move): 1 of 4 = 25 %.
    s = s.apply(new LeaderElected("t", 0, p0.replicas().get(1), p0.leaderEpoch() + 1));

    assertEquals(List.of(), s.preferredLeaderMoves(30).events(), "25 % is not above 30 %");
    assertEquals(1, s.preferredLeaderMoves(20).events().size(), "25 % is above 20 %");
    assertEquals(1, s.preferredLeaderMoves(0).events().size(), "0 moves every one");
  }
}
