package dev.sluice.node.management;

import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.controller.TopicMetadata;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.leader.LeaderView;

/**
 * The partition counts an operator alerts on, computed at each read from published snapshots.
 *
 * @param leaders partitions this node leads
 * @param underReplicated partitions this node leads whose committed in-sync set is smaller than
 *     their replicas
 * @param underMinInSync partitions this node leads whose committed in-sync set is smaller than
 *     {@code min-in-sync-replicas}: acks=all writes are refused there
 * @param offline partitions of the whole cluster without a leader, as this node's metadata shows
 *     them (no eligible in-sync replica is live)
 */
public record PartitionHealth(int leaders, int underReplicated, int underMinInSync, int offline) {

  static PartitionHealth of(LocalReplicas replicas, MetadataSnapshot metadata) {
    int leaders = 0;
    int underReplicated = 0;
    int underMin = 0;
    for (PartitionReplica r : replicas.all()) {
      LeaderView v = r.leaderView();
      if (!r.isLeader() || !v.leading()) {
        continue;
      }
      leaders++;
      if (v.inSync().size() < r.replicas().size()) {
        underReplicated++;
      }
      if (v.underMinInSync()) {
        underMin++;
      }
    }
    int offline = 0;
    if (metadata != null) {
      for (TopicMetadata t : metadata.topics()) {
        for (PartitionAssignment p : t.partitions()) {
          if (!p.hasLeader()) {
            offline++;
          }
        }
      }
    }
    return new PartitionHealth(leaders, underReplicated, underMin, offline);
  }
}
