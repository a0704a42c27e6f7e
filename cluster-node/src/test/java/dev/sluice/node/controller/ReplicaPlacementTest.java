package dev.sluice.node.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReplicaPlacementTest {

  /** Node counts, replication factors, partition counts and start offsets around the edges. */
  static Stream<Arguments> shapes() {
    Stream.Builder<Arguments> shapes = Stream.builder();
    for (int nodes = 1; nodes <= 6; nodes++) {
      for (int rf = 1; rf <= nodes; rf++) {
        for (int partitions : new int[] {1, nodes - 1, nodes, nodes + 1, 3 * nodes, 50}) {
          for (int start : new int[] {0, 1, 7}) {
            if (partitions >= 1) {
              shapes.add(Arguments.of(nodes, rf, partitions, start));
            }
          }
        }
      }
    }
    return shapes.build();
  }

  private static List<Integer> nodeIds(int count) {
    // Ids that are neither 0-based nor contiguous, to catch index/id mix-ups.
    return IntStream.rangeClosed(1, count).map(i -> i * 10 + 1).boxed().toList();
  }

  @ParameterizedTest(name = "{0} nodes, rf {1}, {2} partitions, start {3}")
  @MethodSource("shapes")
  void replicasOfEachPartitionAreDistinctLiveNodes(int nodes, int rf, int partitions, int start) {
    List<Integer> live = nodeIds(nodes);
    List<List<Integer>> placement = ReplicaPlacement.assign(live, partitions, rf, start);

    assertEquals(partitions, placement.size());
    for (List<Integer> replicas : placement) {
      assertEquals(rf, replicas.size(), replicas.toString());
      assertEquals(rf, new HashSet<>(replicas).size(), "duplicate node in " + replicas);
      assertTrue(live.containsAll(replicas), replicas + " outside " + live);
    }
  }

  @ParameterizedTest(name = "{0} nodes, rf {1}, {2} partitions, start {3}")
  @MethodSource("shapes")
  void leaderCountsDifferByAtMostOne(int nodes, int rf, int partitions, int start) {
    List<Integer> live = nodeIds(nodes);
    Map<Integer, Integer> leaders = new HashMap<>();
    live.forEach(n -> leaders.put(n, 0));
    ReplicaPlacement.assign(live, partitions, rf, start)
        .forEach(r -> leaders.merge(r.get(0), 1, Integer::sum));

    int max = leaders.values().stream().max(Integer::compare).orElseThrow();
    int min = leaders.values().stream().min(Integer::compare).orElseThrow();
    assertTrue(max - min <= 1, "leaders per node " + leaders);
  }

  @Test
  void everyNodeHoldsTheSameNumberOfReplicasWhenPartitionsAreAMultipleOfNodes() {
    List<Integer> live = nodeIds(5);
    Map<Integer, Integer> replicasPerNode = new HashMap<>();
    ReplicaPlacement.assign(live, 20, 3, 0)
        .forEach(r -> r.forEach(n -> replicasPerNode.merge(n, 1, Integer::sum)));

    assertEquals(Map.of(11, 12, 21, 12, 31, 12, 41, 12, 51, 12), replicasPerNode);
  }

  @Test
  void followersOfOneLeaderVaryAcrossRounds() {
    // Without the per-round shift, node 1's partitions would always be followed by node 2.
    List<List<Integer>> placement = ReplicaPlacement.assign(List.of(1, 2, 3, 4), 8, 2, 0);

    assertEquals(List.of(1, 2), placement.get(0));
    assertEquals(List.of(1, 3), placement.get(4));
  }

  @Test
  void replicationFactorAboveLiveNodesIsRejectedWithTheNumbers() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ReplicaPlacement.assign(List.of(1, 2), 3, 3, 0));

    assertTrue(e.getMessage().contains("replication factor 3"), e.getMessage());
    assertTrue(e.getMessage().contains("(2)"), e.getMessage());
  }

  @Test
  void replicationFactorBelowOneAndNoPartitionsAreRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> ReplicaPlacement.assign(List.of(1), 1, 0, 0));
    assertThrows(
        IllegalArgumentException.class, () -> ReplicaPlacement.assign(List.of(1), 0, 1, 0));
  }

  @Test
  void samePlacementForTheSameInputWhateverTheOrderOfNodes() {
    List<List<Integer>> first = ReplicaPlacement.assign(List.of(3, 1, 2, 5), 12, 3, 4);
    List<List<Integer>> second = ReplicaPlacement.assign(List.of(5, 2, 3, 1), 12, 3, 4);

    assertEquals(first, second);
  }

  @Test
  void startOffsetMovesTheFirstLeader() {
    List<Integer> live = List.of(1, 2, 3);

    assertEquals(1, ReplicaPlacement.assign(live, 1, 1, 0).get(0).get(0));
    assertEquals(2, ReplicaPlacement.assign(live, 1, 1, 1).get(0).get(0));
    assertEquals(1, ReplicaPlacement.assign(live, 1, 1, 3).get(0).get(0));
    assertNotEquals(ReplicaPlacement.assign(live, 3, 2, 0), ReplicaPlacement.assign(live, 3, 2, 1));
  }
}
