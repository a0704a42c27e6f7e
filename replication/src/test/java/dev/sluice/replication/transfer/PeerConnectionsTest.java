package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.protocol.RejectReason;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class PeerConnectionsTest {
  private static final PartitionId A = new PartitionId("orders", 0);
  private static final PartitionId B = new PartitionId("orders", 1);
  private static final PartitionId C = new PartitionId("orders", 2);
  private static final Predicate<PartitionId> ALL = p -> true;

  private final PeerConnections<String> registry = new PeerConnections<>(3);

  @Test
  void aNewConnectionForTheSamePartitionReplacesTheOlder() {
    assertEquals(admitted(1, List.of()), registry.admit(2, A, "a1", ALL, 1));
    // The follower reconnected while the leader still holds its half-open socket.
    assertEquals(admitted(1, List.of("a1")), registry.admit(2, A, "a2", ALL, 1));
    assertEquals(1, registry.open(2));
    // The replaced connection ending later does not forget its successor.
    registry.release(2, A, "a1");
    assertEquals(1, registry.open(2));
    registry.release(2, A, "a2");
    assertEquals(0, registry.open(2));
  }

  @Test
  void beyondThePartitionsFollowedIsRefusedAndTheOthersStay() {
    registry.admit(2, A, "a", ALL, 2);
    registry.admit(2, B, "b", ALL, 2);
    PeerConnections.Admission<String> third = registry.admit(2, C, "c", ALL, 2);
    assertEquals(new PeerConnections.Admission<>(false, 3, 2, List.of()), third);
    HandshakeChecks.Refusal r = third.refusal(2).orElseThrow();
    assertEquals(RejectReason.TOO_MANY_CONNECTIONS, r.reason());
    assertEquals(
        "node 2 would hold 3 connections, but follows 2 partition(s) on this leader", r.detail());
    assertEquals(2, registry.open(2));
    // Other peers have their own budget.
    assertTrue(registry.admit(3, C, "c3", ALL, 1).admitted());
  }

  @Test
  void connectionsForPartitionsNoLongerFollowedArePrunedFirst() {
    registry.admit(2, A, "a", ALL, 2);
    registry.admit(2, B, "b", ALL, 2);
    Set<PartitionId> followed = Set.of(A, C); // B was reassigned away from node 2
    assertEquals(admitted(2, List.of("b")), registry.admit(2, C, "c", followed::contains, 2));
    assertEquals(2, registry.open(2));
  }

  @Test
  void prunedConnectionsCloseEvenWhenTheNewOneIsRefused() {
    registry.admit(2, A, "a", ALL, 3);
    registry.admit(2, B, "b", ALL, 3);
    PeerConnections.Admission<String> c = registry.admit(2, C, "c", p -> p.equals(C), 0);
    assertFalse(c.admitted());
    assertEquals(List.of("a", "b"), c.closed());
    assertEquals(0, registry.open(2));
  }

  @Test
  void aRefusedReplacementKeepsTheOlderConnection() {
    registry.admit(2, A, "a1", ALL, 1);
    // The node's replica table now says node 2 follows nothing here.
    PeerConnections.Admission<String> again = registry.admit(2, A, "a2", ALL, 0);
    assertEquals(new PeerConnections.Admission<>(false, 1, 0, List.of()), again);
    assertEquals(1, registry.open(2));
  }

  @Test
  void pendingHandshakesAreCapped() {
    assertTrue(registry.startHandshake());
    assertTrue(registry.startHandshake());
    assertTrue(registry.startHandshake());
    assertFalse(registry.startHandshake(), "the fourth waits beyond the cap of 3");
    assertEquals(3, registry.pendingHandshakes());
    registry.endHandshake();
    assertTrue(registry.startHandshake());
    registry.endHandshake();
    registry.endHandshake();
    registry.endHandshake();
    assertThrows(IllegalStateException.class, registry::endHandshake);
  }

  private static PeerConnections.Admission<String> admitted(int open, List<String> closed) {
    return new PeerConnections.Admission<>(true, open, open, closed);
  }
}
