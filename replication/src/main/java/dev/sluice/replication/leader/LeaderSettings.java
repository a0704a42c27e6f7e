package dev.sluice.replication.leader;

import java.time.Duration;

/**
 * How a {@link PartitionLeader} keeps its in-sync set.
 *
 * @param localNode this node's id
 * @param minInSyncReplicas the committed set needed to accept acks=all writes and move the high
 *     watermark
 * @param replicaLagTimeMax how long a member may stay behind before it is proposed for removal
 * @param checkInterval how often members are checked for removal (additions are checked on every
 *     report)
 * @param proposalTimeout how long an in-sync proposal waits for the controller before it is sent
 *     again
 */
public record LeaderSettings(
    int localNode,
    int minInSyncReplicas,
    Duration replicaLagTimeMax,
    Duration checkInterval,
    Duration proposalTimeout) {

  /** Members are checked a few times per lag period, and at least every second. */
  public static LeaderSettings of(int localNode, int minInSyncReplicas, Duration lagTimeMax) {
    Duration quarter = lagTimeMax.dividedBy(4);
    Duration check = quarter.compareTo(Duration.ofSeconds(1)) < 0 ? quarter : Duration.ofSeconds(1);
    return new LeaderSettings(
        localNode, minInSyncReplicas, lagTimeMax, check, Duration.ofSeconds(10));
  }
}
