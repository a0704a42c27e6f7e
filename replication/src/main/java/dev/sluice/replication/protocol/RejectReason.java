package dev.sluice.replication.protocol;

/**
 * Why a leader refused a replication connection (the reason byte of a Rejected frame). Codes are
 * never reused; 4 is unassigned. A missing handshake gets no Rejected frame: progress reports
 * before the handshake are ignored, and any other frame closes the connection as corrupt.
 */
public enum RejectReason {
  /** This node does not lead the partition (any more). */
  NOT_LEADER(1),
  /** This node has no replica of the partition. */
  UNKNOWN_PARTITION(2),
  /** The follower knows a newer leader epoch than this leader. */
  FENCED_LEADER_EPOCH(3),
  /** The handshake named a node that is not a follower of the partition. */
  NOT_A_FOLLOWER(5),
  /** The handshake named another node than the one the peer's certificate names. */
  PEER_IDENTITY(6),
  /**
   * The handshake asked for frames below the leader's minimum, min(64 KiB, the leader's
   * peer-max-bytes).
   */
  FRAME_TOO_SMALL(7),
  /** The peer has more connections open than partitions it follows on this leader. */
  TOO_MANY_CONNECTIONS(8),
  /**
   * The handshake's topic id names another incarnation of the topic than this leader's replica: the
   * topic was deleted and re-created under the same name while the follower was away.
   */
  OTHER_TOPIC_ID(9);

  private static final CodeTable<RejectReason> BY_CODE =
      new CodeTable<>(values(), RejectReason::code);

  private final byte code;

  RejectReason(int code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /** The reason with this code, or null if unknown. */
  public static RejectReason ofCode(byte code) {
    return BY_CODE.get(code);
  }
}
