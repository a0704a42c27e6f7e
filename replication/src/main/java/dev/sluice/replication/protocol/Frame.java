package dev.sluice.replication.protocol;

import java.util.Objects;
import org.apache.pekko.util.ByteString;

/**
 * The frames of one replication connection. A follower opens the connection with {@link Hello} and
 * then only sends {@link Progress} (after every append, and as a keep-alive while idle); the leader
 * answers with {@link Batches}, {@link Chunk}, {@link LeaderStatus}, and may end the connection
 * with {@link Diverged} or {@link Rejected}. Byte layouts are in {@link FrameCodec}.
 *
 * <p>Payloads are {@link ByteString}s, immutable, so frames are immutable values, safe to share
 * between threads. Record bytes travel only inside these frames, over the replication TCP
 * connection, never inside actor messages.
 */
public sealed interface Frame {

  /** Wire code of this frame type. */
  FrameType type();

  /** Bytes of the variable part after the fixed header. */
  default int payloadLength() {
    return 0;
  }

  /**
   * Follower to leader, first frame of a connection: where the follower's log ends and, when it
   * holds part of an oversized batch, which batch and how many of its bytes are durably staged.
   *
   * @param replicaId node id of the follower, so the leader can track it in the in-sync set
   * @param logEndOffset the follower's log end offset: the next offset it needs
   * @param lastLeaderEpoch epoch of the newest batch in the follower's log (-1 if empty)
   * @param currentLeaderEpoch the leader epoch the follower believes current
   * @param staged the partly staged oversized batch, or {@link StagedPosition#NONE}
   * @param maxFrameBytes the largest frame payload the follower wants on this connection, or {@link
   *     #LEADER_FRAME_LIMIT}: the leader sends frames of at most {@code min(its peer-max-bytes,
   *     maxFrameBytes)}. The stall watchdog's "smaller frames" escalation travels here; a follower
   *     also never gets frames above its own peer-max-bytes this way, even when the two nodes are
   *     configured differently. A value below {@code min(64 KiB, the leader's peer-max-bytes)} is
   *     refused with {@link RejectReason#FRAME_TOO_SMALL}: tiny frames would let a peer turn one
   *     batch into millions of frames, and an honest follower never asks below that floor
   * @param topicId the id of the topic incarnation the follower's log belongs to, or {@link
   *     #NO_TOPIC_ID} for a topic created before ids existed: a leader whose replica belongs to
   *     another incarnation (the topic was deleted and re-created under the same name) refuses it
   *     with {@link RejectReason#OTHER_TOPIC_ID}, so no record of one incarnation is appended to a
   *     log of another
   */
  record Hello(
      int replicaId,
      PartitionId partition,
      long logEndOffset,
      int lastLeaderEpoch,
      int currentLeaderEpoch,
      StagedPosition staged,
      int maxFrameBytes,
      String topicId)
      implements Frame {

    /** No wish of the follower: frames of the leader's own peer-max-bytes. */
    public static final int LEADER_FRAME_LIMIT = 0;

    /** The follower's log names no topic incarnation (a topic created before ids existed). */
    public static final String NO_TOPIC_ID = "";

    /** The longest topic id a handshake carries, in UTF-8 bytes (a UUID's text takes 36). */
    public static final int MAX_TOPIC_ID_BYTES = 64;

    public Hello {
      if (maxFrameBytes < 0) {
        throw new IllegalArgumentException("max frame bytes " + maxFrameBytes + " is negative");
      }
      Objects.requireNonNull(topicId, "topicId");
      int idBytes = FrameCodec.utf8(topicId).length;
      if (idBytes > MAX_TOPIC_ID_BYTES) {
        throw new IllegalArgumentException(
            "topic id of " + idBytes + " bytes exceeds the maximum " + MAX_TOPIC_ID_BYTES);
      }
    }

    /** Whether the follower named the topic incarnation its log belongs to. */
    public boolean hasTopicId() {
      return !topicId.isEmpty();
    }

    /**
     * A handshake that leaves the frame size to the leader and names no topic incarnation (a log of
     * a topic created before ids existed).
     */
    public Hello(
        int replicaId,
        PartitionId partition,
        long logEndOffset,
        int lastLeaderEpoch,
        int currentLeaderEpoch,
        StagedPosition staged) {
      this(
          replicaId,
          partition,
          logEndOffset,
          lastLeaderEpoch,
          currentLeaderEpoch,
          staged,
          LEADER_FRAME_LIMIT,
          NO_TOPIC_ID);
    }

    /**
     * The frame payload limit of this connection, for a leader whose own is {@code peerMaxBytes}.
     */
    public long frameLimit(long peerMaxBytes) {
      return maxFrameBytes == LEADER_FRAME_LIMIT
          ? peerMaxBytes
          : Math.min(peerMaxBytes, maxFrameBytes);
    }

    @Override
    public FrameType type() {
      return FrameType.HELLO;
    }

    @Override
    public int payloadLength() {
      return FrameCodec.utf8(topicId).length + FrameCodec.utf8(partition.topic()).length;
    }
  }

  /**
   * Follower to leader after every append or staged chunk: lets the leader move the high watermark
   * and see a follower that is making progress inside an oversized batch.
   */
  record Progress(long logEndOffset, long stagedBytes) implements Frame {
    @Override
    public FrameType type() {
      return FrameType.PROGRESS;
    }
  }

  /**
   * Leader to follower: one or more whole batches, offsets {@code baseOffset..lastOffset}, exactly
   * as they are in the leader's log. The payload never exceeds peer-max-bytes.
   */
  record Batches(long baseOffset, long lastOffset, ByteString payload) implements Frame {
    @Override
    public FrameType type() {
      return FrameType.BATCHES;
    }

    @Override
    public int payloadLength() {
      return payload.size();
    }
  }

  /**
   * Leader to follower: bytes {@code [bytePosition, bytePosition + payload.size())} of one batch
   * larger than peer-max-bytes.
   *
   * @param baseOffset base offset of the batch
   * @param totalLength size of the whole batch, header included
   * @param batchCrc CRC32C of the batch's first 21 bytes (up to and including its stored CRC, which
   *     covers the rest): with the batch's own CRC it covers every byte, and the leader computes it
   *     without reading the whole batch first
   * @param bytePosition position of the payload inside the batch
   * @param last true on the chunk that ends the batch
   */
  record Chunk(
      long baseOffset,
      long totalLength,
      int batchCrc,
      long bytePosition,
      boolean last,
      ByteString payload)
      implements Frame {
    @Override
    public FrameType type() {
      return FrameType.CHUNK;
    }

    @Override
    public int payloadLength() {
      return payload.size();
    }
  }

  /** Leader to follower, periodically and whenever the high watermark moves. */
  record LeaderStatus(int leaderEpoch, long logEndOffset, long highWatermark) implements Frame {
    @Override
    public FrameType type() {
      return FrameType.LEADER_STATUS;
    }
  }

  /**
   * Leader to follower, the answer to a handshake whose log may have diverged from the leader's
   * (KIP-279): the leader's largest epoch at or below the follower's last epoch and where that
   * epoch ends in the leader's log, plus the leader's log start offset. The follower cuts its log
   * where the two histories part (see {@code EpochDivergence}) and reconnects with a new handshake;
   * the leader closes the connection after this frame.
   *
   * @param epoch the leader's largest epoch at or below the follower's last epoch, -1 if none
   * @param endOffset where that epoch ends in the leader's log (the start of its next epoch, or its
   *     log end); with {@code epoch} -1, the leader's log start offset
   * @param logStartOffset the leader's log start offset: a follower below it restarts empty there
   */
  record Diverged(int epoch, long endOffset, long logStartOffset) implements Frame {
    @Override
    public FrameType type() {
      return FrameType.DIVERGED;
    }
  }

  /** Leader to follower: the connection is refused; the leader closes it after this frame. */
  record Rejected(RejectReason reason, String message) implements Frame {
    @Override
    public FrameType type() {
      return FrameType.REJECTED;
    }

    @Override
    public int payloadLength() {
      return Math.min(FrameCodec.utf8(message).length, FrameCodec.MAX_REJECT_MESSAGE_BYTES);
    }
  }

  /**
   * The oversized batch a follower holds partly staged: which batch (base offset, total length,
   * CRC32C of its head as announced by the chunks) and how many bytes of it are staged.
   */
  record StagedPosition(long baseOffset, long totalLength, int batchCrc, long stagedBytes) {
    /** Nothing staged. */
    public static final StagedPosition NONE = new StagedPosition(-1, 0, 0, 0);

    public boolean isPresent() {
      return baseOffset >= 0;
    }
  }
}
