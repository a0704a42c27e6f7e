package dev.sluice.node.controller;

import java.util.List;

/**
 * Where one partition lives: its replicas (node ids, preferred leader first), its current leader,
 * the leader epoch and the in-sync set. Immutable and value-equal.
 *
 * <p>Invariants kept by the controller: replicas are distinct; the in-sync set is a subset of the
 * replicas, kept in replica order; the leader, when there is one, is in the in-sync set. While a
 * partition is offline ({@code leader == NO_LEADER}) the in-sync set keeps the last leader, the
 * only replica allowed to lead again without unclean election.
 *
 * @param partition index of the partition within its topic, from 0
 * @param replicas node ids holding a replica, preferred leader first
 * @param leader node id of the leader, or {@link #NO_LEADER} while offline
 * @param leaderEpoch bumped on every leader change (including going offline); followers truncate by
 *     it and the controller fences stale in-sync updates with it
 * @param inSync replicas caught up with the leader
 */
public record PartitionAssignment(
    int partition, List<Integer> replicas, int leader, int leaderEpoch, List<Integer> inSync)
    implements ControllerSerializable {

  /** Leader id of an offline partition: no in-sync replica is live. */
  public static final int NO_LEADER = -1;

  public PartitionAssignment {
    replicas = List.copyOf(replicas);
    // Replica order makes the set value-equal however the leader reported it.
    List<Integer> reported = List.copyOf(inSync);
    inSync = replicas.stream().filter(reported::contains).toList();
  }

  /** A new partition: the preferred replica leads at epoch 0 and every replica is in sync. */
  public static PartitionAssignment initial(int partition, List<Integer> replicas) {
    return new PartitionAssignment(partition, replicas, replicas.get(0), 0, replicas);
  }

  public boolean hasLeader() {
    return leader != NO_LEADER;
  }

  public PartitionAssignment withLeader(int newLeader, int newEpoch) {
    return new PartitionAssignment(partition, replicas, newLeader, newEpoch, inSync);
  }

  public PartitionAssignment withInSync(List<Integer> newInSync) {
    return new PartitionAssignment(partition, replicas, leader, leaderEpoch, newInSync);
  }
}
