package dev.sluice.node.http;

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

  /**
   * One replica; offsets are -1 when the node holding it did not answer.
   *
   * @param lagBytes bytes behind the leader, as the leader measures it (-1 unknown)
   * @param lastError on a follower: the last transfer error, empty if none
   * @param backoffMillis on a follower: the current reconnect delay
   * @param stalled on a follower: flagged by the stall watchdog
   * @param stallCount on a follower: stalls counted since it last recovered
   */
  public record ReplicaView(
      int node,
      String role,
      long leo,
      long hw,
      String state,
      long lagBytes,
      String lastError,
      long backoffMillis,
      boolean stalled,
      int stallCount) {}
}
