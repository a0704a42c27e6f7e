package dev.sluice.replication.transfer;

import dev.sluice.replication.protocol.Frame;

/**
 * What a connection attempt ({@link FollowerTransfer#attempt}) tells the follower actor that runs
 * it. Small values: offsets and counts, never record bytes. Immutable.
 */
public sealed interface FollowerEvent {

  /** A connection attempt starts with this handshake (computed from the log and staging). */
  record Connecting(Frame.Hello hello) implements FollowerEvent {}

  /** Whole batches or a completed oversized batch ({@code bytes} long) were appended. */
  record Appended(long logEndOffset, long bytes) implements FollowerEvent {}

  /** A chunk of an oversized batch was staged (forced with the batch's last chunk). */
  record ChunkStaged(
      long baseOffset, long stagedBytes, long totalLength, long writtenBytes, long skippedBytes)
      implements FollowerEvent {}

  /** The leader's view: lets the owner tell "caught up" from "behind". */
  record LeaderStatusReceived(int leaderEpoch, long leaderLogEndOffset, long highWatermark)
      implements FollowerEvent {}

  /**
   * The leader answered the handshake with {@link Frame.Diverged}: the log must be cut (see {@link
   * EpochDivergence}) before the next handshake. Nothing was changed yet; the leader closes the
   * connection.
   */
  record DivergenceReported(Frame.Diverged answer) implements FollowerEvent {}
}
