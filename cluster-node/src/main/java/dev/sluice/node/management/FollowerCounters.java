package dev.sluice.node.management;

import dev.sluice.node.replica.PartitionReplica;

/**
 * A follower's transfer counters ({@code FollowerStatus.Snapshot#bytesReceived}, {@code
 * #resentBytes}): what JMX and the metrics show of the incident's resend loop.
 *
 * <p>{@link PartitionReplica} does not expose the {@code FollowerStatus} it is given while
 * following (it has a setter only), so until it does these read 0. This is the one place to change
 * when it does: {@code replica.followerStatus()} → snapshot → the two counters.
 */
record FollowerCounters(long bytesReceived, long resentBytes) {
  static final FollowerCounters NONE = new FollowerCounters(0, 0);

  static FollowerCounters of(PartitionReplica replica) {
    return NONE;
  }
}
