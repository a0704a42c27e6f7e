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
}
