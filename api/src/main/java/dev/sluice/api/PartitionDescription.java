package dev.sluice.api;

import java.util.List;
import java.util.Optional;

/**
 * One partition in a topic description: the controller's assignment and, per replica, what its node
 * reported.
 *
 * <p>Thread-safety: immutable.
 *
 * @param partition index within the topic, from 0
 * @param leader node id of the leader, {@value #NO_LEADER} while the partition is offline
 * @param leaderEpoch bumped on every leader change
 * @param inSync node ids of the in-sync replicas, in replica order
 * @param replicas every replica, preferred leader first
 */
public record PartitionDescription(
    int partition,
    int leader,
    int leaderEpoch,
    List<Integer> inSync,
    List<ReplicaDescription> replicas) {

  /** The leader of an offline partition. */
  public static final int NO_LEADER = -1;

  public PartitionDescription {
    inSync = inSync == null ? List.of() : List.copyOf(inSync);
    replicas = replicas == null ? List.of() : List.copyOf(replicas);
  }

  /** The replica that leads: by role, falling back to the replica on the leader's node. */
  public Optional<ReplicaDescription> leaderReplica() {
    return replicas.stream()
        .filter(r -> r.role() == ReplicaRole.LEADER)
        .findFirst()
        .or(() -> leader == NO_LEADER ? Optional.empty() : replica(leader));
  }

  /** The replica on {@code node}, if the partition has one there. */
  public Optional<ReplicaDescription> replica(int node) {
    return replicas.stream().filter(r -> r.node() == node).findFirst();
  }

  /** The node ids of every replica, in replica order. */
  public List<Integer> replicaNodes() {
    return replicas.stream().map(ReplicaDescription::node).toList();
  }
}
