package dev.sluice.replication.leader;

import dev.sluice.log.AppendInfo;
import dev.sluice.log.PartitionLog;
import java.io.IOException;

/**
 * One append a producer asked for, run by the partition's {@link PartitionLeader} so that appends
 * are serialised with the leader's epoch checks. Record bytes stay in files or the request; only
 * this small object crosses to the leader.
 */
@FunctionalInterface
public interface AppendOp {
  /** Appends to {@code log} as leader of {@code leaderEpoch}; blocking file IO. */
  AppendInfo appendTo(PartitionLog log, int leaderEpoch) throws IOException;
}
