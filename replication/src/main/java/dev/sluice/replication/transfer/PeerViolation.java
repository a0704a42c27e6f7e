package dev.sluice.replication.transfer;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A replication peer broke a rule of the protocol that an honest follower never breaks: the leader
 * refuses it and closes the connection. Thrown inside a connection's stream (or recorded for a
 * handshake answered with a Rejected frame) and logged once, at WARN, when the connection ends;
 * other connection failures (resets, idle timeouts) stay at INFO. The message names the partition
 * when known, the remote address, the peer, the value and the limit it broke.
 */
public final class PeerViolation extends RuntimeException {

  /** Which rule was broken; repeated WARNs are folded per remote host and kind. */
  public enum Kind {
    /** TLS: the handshake names another node than the peer's certificate. */
    PEER_IDENTITY,
    /** The handshake names a node that is not a follower of the partition. */
    NOT_A_FOLLOWER,
    /** The handshake asks for frames below the leader's minimum. */
    FRAME_TOO_SMALL,
    /** The peer has more connections than partitions it follows here. */
    TOO_MANY_CONNECTIONS,
    /** A position report above the leader's log end offset. */
    PROGRESS_ABOVE_LOG_END,
    /** No handshake within the deadline. */
    NO_HANDSHAKE,
    /** Too many accepted connections are waiting for their handshake. */
    TOO_MANY_PENDING_HANDSHAKES,
    /** The TLS handshake failed or the certificate names no node. */
    TLS
  }

  private final Kind kind;
  private final InetSocketAddress remote;

  public PeerViolation(Kind kind, InetSocketAddress remote, String message) {
    super(message, null, false, false); // an expected refusal: the stack trace says nothing
    this.kind = Objects.requireNonNull(kind, "kind");
    this.remote = Objects.requireNonNull(remote, "remote");
  }

  public Kind kind() {
    return kind;
  }

  /** The peer's address as the leader's socket saw it. */
  public InetSocketAddress remote() {
    return remote;
  }
}
