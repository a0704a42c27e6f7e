package dev.sluice.node.management;

import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.follower.FollowerStatus;

/**
 * A follower's transfer counters ({@code FollowerStatus.Snapshot#bytesReceived}, {@code
 * #resentBytes}): what JMX and the metrics show of the incident's resend loop. Zero on a leader.
 */
record FollowerCounters(long bytesReceived, long resentBytes) {
  static final FollowerCounters NONE = new FollowerCounters(0, 0);

  static FollowerCounters of(PartitionReplica replica) {
    return replica
        .followerStatus()
        .map(FollowerStatus::snapshot)
        .map(s -> new FollowerCounters(s.bytesReceived(), s.resentBytes()))
        .orElse(NONE);
  }
}
