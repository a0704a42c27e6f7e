package dev.sluice.node.management;

import dev.sluice.api.ClusterStatus;
import dev.sluice.api.ClusterStatus.PartitionRef;
import dev.sluice.config.TopicSettings;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.controller.TopicMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The partitions of the whole cluster an operator alerts on, from one metadata snapshot: the same
 * numbers on every node that applied it (so dashboards take the maximum over nodes, not the sum).
 * Pure: computed from its inputs only.
 *
 * @param total every partition of every topic
 * @param underReplicated partitions whose in-sync set is smaller than their replicas
 * @param underMinInSync partitions with fewer in-sync replicas than {@code min-in-sync-replicas}
 * @param offline partitions without a leader
 * @param leadersPerNode partitions each live node leads (0 for a live node that leads none)
 */
record ClusterHealth(
    int total,
    List<PartitionRef> underReplicated,
    List<PartitionRef> underMinInSync,
    List<PartitionRef> offline,
    Map<Integer, Integer> leadersPerNode) {

  /** What a node that has no metadata yet knows. */
  static final ClusterHealth UNKNOWN =
      new ClusterHealth(0, List.of(), List.of(), List.of(), Map.of());

  /**
   * @param metadata the applied snapshot, null before the first
   * @param minInSyncReplicas the node's {@code sluice.replication.min-in-sync-replicas}; a topic's
   *     own {@code min-in-sync-replicas} takes its place for that topic's partitions
   */
  static ClusterHealth of(MetadataSnapshot metadata, int minInSyncReplicas) {
    if (metadata == null) {
      return UNKNOWN;
    }
    int total = 0;
    List<PartitionRef> under = new ArrayList<>();
    List<PartitionRef> underMin = new ArrayList<>();
    List<PartitionRef> offline = new ArrayList<>();
    Map<Integer, Integer> leaders = new TreeMap<>();
    metadata.liveNodes().keySet().forEach(n -> leaders.put(n, 0));
    for (TopicMetadata t : metadata.topics()) {
      int minInSync = minInSyncOf(t, minInSyncReplicas);
      for (PartitionAssignment p : t.partitions()) {
        total++;
        PartitionRef ref =
            new PartitionRef(t.name(), p.partition(), p.leader(), p.replicas(), p.inSync());
        if (p.inSync().size() < p.replicas().size()) {
          under.add(ref);
        }
        if (p.inSync().size() < minInSync) {
          underMin.add(ref);
        }
        if (!p.hasLeader()) {
          offline.add(ref);
        } else {
          leaders.merge(p.leader(), 1, Integer::sum);
        }
      }
    }
    return new ClusterHealth(total, under, underMin, offline, leaders);
  }

  /**
   * The topic's {@code min-in-sync-replicas} when it has one (checked by the controller when it was
   * set), else the node's: the value the topic's leaders commit by.
   */
  private static int minInSyncOf(TopicMetadata topic, int nodeDefault) {
    String own = topic.config().get(TopicSettings.MIN_IN_SYNC_REPLICAS);
    if (own == null) {
      return nodeDefault;
    }
    try {
      int value = Integer.parseInt(own.trim());
      return value > 0 ? value : nodeDefault;
    } catch (NumberFormatException e) {
      return nodeDefault;
    }
  }

  ClusterStatus.Partitions partitions() {
    return new ClusterStatus.Partitions(total, underReplicated, underMinInSync, offline);
  }
}
