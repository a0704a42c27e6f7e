package dev.sluice.replication.transfer;

import dev.sluice.log.PartitionLog;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * What the leader's transfer stream needs from the partition it serves. Implemented by {@code
 * leader.LeaderHandle}, the leader side of a local replica. Must be thread-safe: every connection's
 * stream calls it from its own threads.
 */
public interface LeaderPartition {

  /** The leader's log; read by the stream, appended to by the leader only. */
  PartitionLog log();

  /** The current leader epoch of this partition. */
  int leaderEpoch();

  /** False once this node no longer leads the partition; connections then end with Rejected. */
  boolean isLeader();

  /** True if {@code replicaId} is a follower of this partition: only followers are served. */
  boolean isFollower(int replicaId);

  /**
   * Completes when the log end offset is above {@code logEndOffset}, the high watermark differs
   * from {@code highWatermark}, or leadership is lost; immediately if one is already true. May
   * complete spuriously; callers re-check.
   */
  CompletionStage<Done> awaitChange(long logEndOffset, long highWatermark);

  /**
   * A follower reported its log end offset (and staged bytes of an oversized batch). Called on a
   * stream thread: must not block (tell an actor, update a concurrent map).
   */
  void onFollowerProgress(int replicaId, long logEndOffset, long stagedBytes);
}
