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

  /**
   * The id of the topic incarnation this node's replica of {@code partition} belongs to; empty when
   * it has no replica or the replica names none (a topic created before ids existed). A handshake
   * naming another id is refused. Must not block.
   */
  default Optional<String> topicId(PartitionId partition) {
    return Optional.empty();
  }
}
