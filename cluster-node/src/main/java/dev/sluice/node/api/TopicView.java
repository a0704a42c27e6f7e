package dev.sluice.node.api;

import java.util.List;

/**
 * What {@code GET /topics/{name}} answers: the controller's assignment joined with each replica's
 * live status.
 */
public record TopicView(
    String name, int partitionCount, int replicationFactor, List<PartitionView> partitions) {

  /** One partition: its leader, leader epoch, in-sync set and replicas. */
  public record PartitionView(
      int partition,
      int leader,
      int leaderEpoch,
      List<Integer> inSync,
      List<ReplicaView> replicas) {}

  /** One replica; offsets are -1 when the node holding it did not answer. */
  public record ReplicaView(
      int node, String role, long leo, long hw, String state, long lagBytes) {}
}
