package dev.sluice.node.controller;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Chooses the replicas of a new topic's partitions, as Kafka's rack-unaware assignment does.
 *
 * <p>Over the live node ids in ascending order, partition {@code p}'s first replica (its preferred
 * leader) is node {@code (start + p) mod n}, so leaders go round-robin and no node leads more than
 * one partition more than another. Followers follow the leader at a distance that shifts by one
 * each time the leaders wrap around the node list, which spreads followers too instead of always
 * pairing the same nodes. Replicas of one partition are always distinct nodes.
 *
 * <p>Deterministic: the same nodes, counts and start give the same placement (the controller passes
 * the number of partitions that already exist as the start, so successive topics do not all begin
 * on the lowest node). Pure and thread-safe.
 */
public final class ReplicaPlacement {

  private ReplicaPlacement() {}

  /**
   * Returns, for each partition in order, its replica node ids with the preferred leader first.
   *
   * @throws IllegalArgumentException when the replication factor is below 1 or above the number of
   *     live nodes, or there is no partition; the message names the numbers
   */
  public static List<List<Integer>> assign(
      Collection<Integer> liveNodes, int partitions, int replicationFactor, int start) {
    List<Integer> nodes = liveNodes.stream().distinct().sorted().toList();
    int n = nodes.size();
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
    }
    if (replicationFactor < 1 || replicationFactor > n) {
      throw new IllegalArgumentException(
          "replication factor "
              + replicationFactor
              + " must be between 1 and the number of live nodes ("
              + n
              + ")");
    }
    int first = Math.floorMod(start, n);
    int shift = n > 1 ? Math.floorMod(start, n - 1) : 0;
    List<List<Integer>> placement = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      if (p > 0 && p % n == 0) {
        shift++;
      }
      int leaderIndex = (first + p) % n;
      List<Integer> replicas = new ArrayList<>(replicationFactor);
      replicas.add(nodes.get(leaderIndex));
      for (int j = 0; j < replicationFactor - 1; j++) {
        replicas.add(nodes.get(followerIndex(leaderIndex, shift, j, n)));
      }
      placement.add(List.copyOf(replicas));
    }
    return List.copyOf(placement);
  }

  /**
   * The j-th follower sits {@code 1 + (shift + j) mod (n - 1)} places after the leader: never the
   * leader itself (the distance is 1..n-1) and distinct for distinct j (j < n - 1).
   */
  private static int followerIndex(int leaderIndex, int shift, int j, int n) {
    return (leaderIndex + 1 + (shift + j) % (n - 1)) % n;
  }
}
