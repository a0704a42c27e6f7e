package dev.sluice.node.controller;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where one partition lives: its replicas (node ids, preferred leader first), its current leader,
 * the leader epoch, the in-sync set with the storage id each member's data is tied to, and the
 * partition version. Immutable and value-equal.
 *
 * <p>Invariants kept by the controller: replicas are distinct; the in-sync set is a subset of the
 * replicas, kept in replica order; the leader, when there is one, is in the in-sync set; {@code
 * inSyncStorageIds} has keys only of in-sync members. While a partition is offline ({@code leader
 * == NO_LEADER}) the in-sync set keeps its last members, the only replicas allowed to lead again
 * without unclean election, and each of them only with the storage id recorded for it.
 *
 * <p>Fields added after the first release ({@code inSyncStorageIds}, {@code version}) read as empty
 * and 0 from journal entries written before them: an in-sync member without a recorded storage id
 * is accepted as it is, as it was then.
 *
 * @param partition index of the partition within its topic, from 0
 * @param replicas node ids holding a replica, preferred leader first
 * @param leader node id of the leader, or {@link #NO_LEADER} while offline
 * @param leaderEpoch bumped on every leader change (including going offline); followers truncate by
 *     it and the controller fences stale in-sync updates with it
 * @param inSync replicas caught up with the leader
 * @param inSyncStorageIds in-sync member to the storage id its node had when it entered the in-sync
 *     set (or when the topic was created): the data that counts as in sync lives on that disk only.
 *     A member without an entry has no recorded id (it joined before ids existed)
 * @param version bumped by the controller on every change to this partition (leader elected or
 *     offline, in-sync set changed), so that a node can tell which of two views is newer whatever
 *     order they arrive in (Kafka's partition epoch)
 */
public record PartitionAssignment(
    int partition,
    List<Integer> replicas,
    int leader,
    int leaderEpoch,
    List<Integer> inSync,
    Map<Integer, String> inSyncStorageIds,
    int version)
    implements ControllerSerializable {

  /** Leader id of an offline partition: no eligible replica is live. */
  public static final int NO_LEADER = -1;

  public PartitionAssignment {
    replicas = List.copyOf(replicas);
    // Replica order makes the set value-equal however the leader reported it.
    List<Integer> reported = List.copyOf(inSync);
    inSync = replicas.stream().filter(reported::contains).toList();
    TreeMap<Integer, String> ids = new TreeMap<>();
    if (inSyncStorageIds != null) {
      for (Map.Entry<Integer, String> e : inSyncStorageIds.entrySet()) {
        if (inSync.contains(e.getKey()) && e.getValue() != null) {
          ids.put(e.getKey(), e.getValue());
        }
      }
    }
    inSyncStorageIds = Collections.unmodifiableMap(ids);
  }

  /**
   * A new partition: the preferred replica leads at epoch 0, every replica is in sync, tied to the
   * storage id its node registered with ({@code storageIds} may lack a node whose id is unknown).
   */
  public static PartitionAssignment initial(
      int partition, List<Integer> replicas, Map<Integer, String> storageIds) {
    return new PartitionAssignment(
        partition, replicas, replicas.get(0), 0, replicas, storageIds, 0);
  }

  public boolean hasLeader() {
    return leader != NO_LEADER;
  }

  /** The storage id recorded for an in-sync member, or null when none is (or it is not in sync). */
  public String recordedStorageId(int node) {
    return inSyncStorageIds.get(node);
  }

  /** A new leader (or {@link #NO_LEADER}) and epoch; the next version. */
  public PartitionAssignment withLeader(int newLeader, int newEpoch) {
    return new PartitionAssignment(
        partition, replicas, newLeader, newEpoch, inSync, inSyncStorageIds, version + 1);
  }

  /** A new in-sync set with the storage id of each member; the next version. */
  public PartitionAssignment withInSync(List<Integer> newInSync, Map<Integer, String> storageIds) {
    return new PartitionAssignment(
        partition, replicas, leader, leaderEpoch, newInSync, storageIds, version + 1);
  }
}
