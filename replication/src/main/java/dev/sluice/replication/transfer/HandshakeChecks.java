package dev.sluice.replication.transfer;

import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.RejectReason;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The leader's checks of a follower's handshake that do not depend on the connection registry, as
 * pure functions: who the peer is (its certificate against the id it claims), whether it follows
 * the partition, and whether the frame size it asks for is sane. Each failed check is a {@link
 * Refusal}: the reason sent back in a Rejected frame and a detail naming the value and the limit.
 * The leader applies them in the order identity, (partition lookup, leadership and epoch),
 * follower, frame size, then {@link PeerConnections}. Stateless; thread-safe.
 */
public final class HandshakeChecks {

  /**
   * The frame floor no follower may ask below: the follower's own floor when the watchdog divides
   * its frames (so an honest follower never trips the check), and the size below which per-frame
   * costs dominate.
   */
  public static final int MIN_FRAME_BYTES = TransferSettings.MIN_LIMITED_FRAME_BYTES;

  /** A refused handshake: what the peer is told and what the leader logs. */
  public record Refusal(RejectReason reason, PeerViolation.Kind kind, String detail) {}

  private HandshakeChecks() {}

  /**
   * The smallest frame limit a follower may ask for from a leader whose peer-max-bytes is {@code
   * leaderPeerMaxBytes}: {@code min(64 KiB, leaderPeerMaxBytes)}, so setups with small frames stay
   * legal.
   */
  public static long minFrameBytes(long leaderPeerMaxBytes) {
    return Math.min(MIN_FRAME_BYTES, leaderPeerMaxBytes);
  }

  /**
   * With an authenticated transport the handshake must name the node the certificate names; a
   * transport that authenticates nobody ({@code certified} empty and {@code authenticated} false)
   * takes the claimed id.
   */
  public static Optional<Refusal> identity(
      boolean authenticated, OptionalInt certified, int claimed) {
    if (!authenticated) {
      return Optional.empty();
    }
    if (certified.isEmpty()) {
      return Optional.of(
          new Refusal(
              RejectReason.PEER_IDENTITY,
              PeerViolation.Kind.PEER_IDENTITY,
              "handshake names node " + claimed + ", but the certificate names no node"));
    }
    if (certified.getAsInt() != claimed) {
      return Optional.of(
          new Refusal(
              RejectReason.PEER_IDENTITY,
              PeerViolation.Kind.PEER_IDENTITY,
              "handshake names node "
                  + claimed
                  + ", but the certificate is node "
                  + certified.getAsInt()
                  + "'s"));
    }
    return Optional.empty();
  }

  /** Only followers of the partition are served. */
  public static Optional<Refusal> follower(Frame.Hello hello, boolean isFollower) {
    if (isFollower) {
      return Optional.empty();
    }
    return Optional.of(
        new Refusal(
            RejectReason.NOT_A_FOLLOWER,
            PeerViolation.Kind.NOT_A_FOLLOWER,
            "node "
                + hello.replicaId()
                + " is not a follower of "
                + hello.partition()
                + " (only its assigned followers are served)"));
  }

  /**
   * A frame limit of 0 leaves the size to the leader; any other value must be at least {@link
   * #minFrameBytes}.
   */
  public static Optional<Refusal> frameSize(int maxFrameBytes, long leaderPeerMaxBytes) {
    long min = minFrameBytes(leaderPeerMaxBytes);
    if (maxFrameBytes == Frame.Hello.LEADER_FRAME_LIMIT || maxFrameBytes >= min) {
      return Optional.empty();
    }
    return Optional.of(
        new Refusal(
            RejectReason.FRAME_TOO_SMALL,
            PeerViolation.Kind.FRAME_TOO_SMALL,
            "frames of at most "
                + maxFrameBytes
                + " bytes asked, below the minimum "
                + min
                + " (min of 64 KiB and this leader's peer-max-bytes "
                + leaderPeerMaxBytes
                + ")"));
  }
}
