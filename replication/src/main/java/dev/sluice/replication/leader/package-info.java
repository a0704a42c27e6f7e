/**
 * The leader side of a partition: one {@link dev.sluice.replication.leader.PartitionLeader} actor
 * per local replica owns appends, follower positions, the in-sync set and its proposals to the
 * controller, the high watermark and the produce requests waiting for it; {@link
 * dev.sluice.replication.leader.LeaderHandle} is how the node and the replication streams reach it
 * (assignment fencing, asks, the published {@link dev.sluice.replication.leader.LeaderView}). The
 * in-sync rules are pure and table-tested ({@link dev.sluice.replication.leader.InSyncState}).
 */
package dev.sluice.replication.leader;
