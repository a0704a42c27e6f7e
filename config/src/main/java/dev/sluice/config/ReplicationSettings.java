package dev.sluice.config;

import java.time.Duration;

/**
 * Leader-to-follower transfer ({@code sluice.replication}).
 *
 * @param port TCP port the leader serves replication streams on
 * @param peerMaxBytes largest frame payload between two nodes; a frame is at most this plus {@link
 *     #FRAME_HEADER_BYTES}. It limits frames, not records: larger batches travel as chunks
 * @param socketBufferBytes TCP send/receive buffer of replication connections
 * @param backoff restart delays of a failed transfer
 * @param replicaLagTimeMax a follower not caught up for this long leaves the in-sync set
 * @param minInSyncReplicas the high watermark and acks=all writes need at least this many in-sync
 *     replicas
 * @param uncleanLeaderElection when no eligible replica of a partition is live, elect any live
 *     replica rather than keep the partition offline; trades acknowledged records for availability
 */
public record ReplicationSettings(
    int port,
    long peerMaxBytes,
    long socketBufferBytes,
    BackoffSettings backoff,
    Duration replicaLagTimeMax,
    int minInSyncReplicas,
    boolean uncleanLeaderElection) {

  /**
   * Upper bound of the fixed header of any replication frame. The wire protocol keeps its headers
   * within this many bytes; the validator needs it to check peer-max-bytes and buffer sizes.
   */
  public static final int FRAME_HEADER_BYTES = 64;

  /** The largest frame on the wire: payload limit plus header. */
  public long maxFrameBytes() {
    return peerMaxBytes + FRAME_HEADER_BYTES;
  }
}
