package dev.sluice.replication.transfer;

import dev.sluice.replication.protocol.PartitionId;
import java.util.Optional;

/**
 * The partitions this node leads, as the replication server sees them. Thread-safe: called from
 * connection streams.
 */
@FunctionalInterface
public interface LeaderLogs {
  /** The partition if this node has a replica of it (leading or not), else empty. */
  Optional<LeaderPartition> lookup(PartitionId partition);

  /**
   * How many partitions led here list {@code node} as a follower: the most replication connections
   * that node may hold open to this leader. Unbounded unless the node's replica table says
   * otherwise; must not block.
   */
  default int partitionsFollowedBy(int node) {
    return Integer.MAX_VALUE;
  }
}
