package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.protocol.RejectReason;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HandshakeChecksTest {
  private static final PartitionId PID = new PartitionId("orders", 0);
  private static final long ONE_MIB = 1 << 20;

  @ParameterizedTest(name = "max frame bytes {0}, leader peer-max-bytes {1}: accepted {2}")
  @CsvSource({
    "0, 1048576, true", // the leader's own size
    "1, 1048576, false",
    "65535, 1048576, false",
    "65536, 1048576, true",
    "1048576, 1048576, true",
    "2147483647, 1048576, true", // above peer-max: the leader sends its own size anyway
    "4096, 4096, true", // a leader configured with small frames keeps small followers legal
    "4095, 4096, false",
    "1, 4096, false",
  })
  void frameSizeTable(int maxFrameBytes, long peerMaxBytes, boolean accepted) {
    Optional<HandshakeChecks.Refusal> r = HandshakeChecks.frameSize(maxFrameBytes, peerMaxBytes);
    assertEquals(accepted, r.isEmpty(), () -> "refusal: " + r);
    r.ifPresent(
        refusal -> {
          assertEquals(RejectReason.FRAME_TOO_SMALL, refusal.reason());
          assertEquals(PeerViolation.Kind.FRAME_TOO_SMALL, refusal.kind());
          long min = Math.min(65536, peerMaxBytes);
          assertEquals(
              "frames of at most "
                  + maxFrameBytes
                  + " bytes asked, below the minimum "
                  + min
                  + " (min of 64 KiB and this leader's peer-max-bytes "
                  + peerMaxBytes
                  + ")",
              refusal.detail());
        });
  }

  @Test
  void theFloorIsTheSmallerOf64KiBAndTheLeadersPeerMaxBytes() {
    assertEquals(65536, HandshakeChecks.minFrameBytes(ONE_MIB));
    assertEquals(4096, HandshakeChecks.minFrameBytes(4096));
    assertEquals(65536, HandshakeChecks.minFrameBytes(65536));
  }

  @Test
  void anHonestFollowerNeverAsksBelowTheFloor() {
    for (long peerMax : new long[] {4096, 65536, ONE_MIB, 64 * ONE_MIB}) {
      TransferSettings s =
          new TransferSettings(peerMax, null, null, null, null, 0, TransferSecurity.plaintext());
      for (int divisor = 1; divisor <= 1 << 20; divisor *= 2) {
        int asked = s.limitedFrameBytes(divisor);
        assertTrue(
            HandshakeChecks.frameSize(asked, peerMax).isEmpty(),
            "peer-max " + peerMax + " / " + divisor + " asks " + asked);
      }
    }
  }

  @Test
  void identityIsTheCertificatesWhenTheTransportAuthenticates() {
    assertTrue(HandshakeChecks.identity(true, OptionalInt.of(2), 2).isEmpty());
    HandshakeChecks.Refusal r = HandshakeChecks.identity(true, OptionalInt.of(3), 2).orElseThrow();
    assertEquals(RejectReason.PEER_IDENTITY, r.reason());
    assertEquals("handshake names node 2, but the certificate is node 3's", r.detail());
    HandshakeChecks.Refusal none =
        HandshakeChecks.identity(true, OptionalInt.empty(), 2).orElseThrow();
    assertEquals(RejectReason.PEER_IDENTITY, none.reason());
  }

  @Test
  void plaintextTakesTheClaimedId() {
    assertTrue(HandshakeChecks.identity(false, OptionalInt.empty(), 2).isEmpty());
  }

  @Test
  void onlyFollowersAreServed() {
    Frame.Hello hello = new Frame.Hello(5, PID, 0, -1, 1, Frame.StagedPosition.NONE);
    assertTrue(HandshakeChecks.follower(hello, true).isEmpty());
    HandshakeChecks.Refusal r = HandshakeChecks.follower(hello, false).orElseThrow();
    assertEquals(RejectReason.NOT_A_FOLLOWER, r.reason());
    assertEquals(
        "node 5 is not a follower of orders-0 (only its assigned followers are served)",
        r.detail());
  }
}
