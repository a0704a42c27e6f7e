package dev.sluice.replication.leader;

import java.util.List;

/**
 * What the controller assigned one replica of a partition: who leads which epoch, the replicas, and
 * the committed in-sync set with its version. Immutable.
 *
 * @param leader the leading node, -1 while the partition has none
 * @param version orders in-sync sets within an epoch: a higher version is a newer decision
 */
public record Assignment(
    int leader, int leaderEpoch, List<Integer> replicas, List<Integer> inSync, long version) {

  /** Nothing assigned yet: older than every real assignment. */
  public static final Assignment NONE = new Assignment(-1, -1, List.of(), List.of(), -1);

  public Assignment {
    replicas = List.copyOf(replicas);
    inSync = List.copyOf(inSync);
  }

  /** True if this assignment is older than {@code other}: a lower epoch, or a lower version. */
  public boolean olderThan(Assignment other) {
    return leaderEpoch < other.leaderEpoch
        || (leaderEpoch == other.leaderEpoch && version < other.version);
  }
}
