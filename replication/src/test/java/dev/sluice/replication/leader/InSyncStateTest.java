package dev.sluice.replication.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The leader's in-sync and high-watermark rules as a table of situations, with time passed in. Node
 * 1 leads; nodes 2 and 3 follow; the lag time is 10 units.
 */
class InSyncStateTest {
  static final long LAG = 10;
  static final List<Integer> ALL = List.of(1, 2, 3);

  static InSyncState state(List<Integer> inSync, int minInSync, long epochStart) {
    return new InSyncState(1, epochStart, ALL, inSync, 5, minInSync, LAG, 0);
  }

  @Test
  void idleFollowersAtTheEndStayInSyncForeverThroughKeepAlives() {
    InSyncState s = state(ALL, 1, 100);
    for (long t = 0; t <= 10 * LAG; t += LAG / 2) {
      s.onReport(2, 100, 100, t); // keep-alives: no writes, same position
      s.onReport(3, 100, 100, t);
      assertEquals(Optional.empty(), s.nextProposal(100, t), "at time " + t);
    }
    assertEquals(ALL, s.maximal());
  }

  @Test
  void aFollowerThatNeverReportsIsRemovedAfterTheLagTimeFromTheStartOfTheTerm() {
    InSyncState s = state(ALL, 1, 100);
    s.onReport(2, 100, 100, LAG);
    assertEquals(Optional.empty(), s.nextProposal(100, LAG), "grace period from the term start");
    assertEquals(Optional.of(List.of(1, 2)), s.nextProposal(100, LAG + 1));
  }

  @Test
  void aFollowerUnderConstantWritesIsCaughtUpWhenItReachesTheEndTheLeaderHadAtItsLastReport() {
    // KAFKA-4485: it is never exactly at the end, yet never more than one report behind.
    InSyncState s = state(ALL, 1, 0);
    long leaderEnd = 0;
    for (long t = 1; t <= 5 * LAG; t++) {
      long followerEnd = leaderEnd; // holds what the leader had at the previous report
      leaderEnd += 10;
      s.onReport(2, followerEnd, leaderEnd, t);
      s.onReport(3, followerEnd, leaderEnd, t);
      assertEquals(Optional.empty(), s.nextProposal(0, t), "at time " + t);
    }
  }

  @Test
  void aFollowerStuckBehindLeavesAndRejoinsOnlyAtTheHighWatermarkAndTheEpochStart() {
    InSyncState s = state(ALL, 1, 50);
    s.onReport(2, 100, 100, 1);
    s.onReport(3, 40, 100, 1);
    assertEquals(Optional.of(List.of(1, 2)), s.nextProposal(40, LAG + 1));
    s.onProposalAccepted(List.of(1, 2), 6);
    s.onReport(2, 100, 100, LAG + 1);
    s.onReport(3, 60, 100, LAG + 2); // at the epoch start but below the high watermark 100
    assertEquals(Optional.empty(), s.nextProposal(100, LAG + 2));
    s.onReport(3, 100, 120, LAG + 3); // at the high watermark, behind the end: joins
    assertEquals(Optional.of(ALL), s.nextProposal(100, LAG + 3));
  }

  @Test
  void aReplicaBelowTheEpochStartDoesNotJoinEvenAtTheHighWatermark() {
    // KAFKA-7128: a new leader's high watermark may still be below the start of its epoch.
    InSyncState s = state(List.of(1, 2), 1, 80);
    s.onReport(2, 80, 80, 1);
    s.onReport(3, 70, 80, 1);
    assertEquals(Optional.empty(), s.nextProposal(60, 1));
    s.onReport(3, 80, 80, 2);
    assertEquals(Optional.of(ALL), s.nextProposal(60, 2));
  }

  @Test
  void theHighWatermarkWaitsForAReplicaWhoseAdditionIsProposedButNotAnswered() {
    // KIP-497: the controller may already have added it; it could be elected.
    InSyncState s = state(List.of(1, 2), 1, 0);
    s.onReport(2, 100, 100, 1);
    s.onReport(3, 50, 100, 1);
    assertEquals(100, s.highWatermark(100, 40), "committed set only");
    assertEquals(Optional.of(ALL), s.nextProposal(40, 1));
    assertEquals(50, s.highWatermark(100, 40), "waits for the proposed member");
    s.onProposalLost();
    assertEquals(50, s.highWatermark(100, 40), "an unanswered proposal still counts");
    assertEquals(Optional.of(ALL), s.nextProposal(40, 2), "and is sent again");
    s.onProposalRefused();
    assertEquals(100, s.highWatermark(100, 40));
  }

  @Test
  void aMemberProposedForRemovalCountsUntilTheRemovalIsCommitted() {
    InSyncState s = state(ALL, 1, 0);
    s.onReport(2, 100, 100, 0);
    s.onReport(3, 30, 100, 0);
    s.onReport(2, 100, 100, LAG + 1);
    assertEquals(Optional.of(List.of(1, 2)), s.nextProposal(30, LAG + 1));
    assertEquals(30, s.highWatermark(100, 30));
    s.onProposalAccepted(List.of(1, 2), 6);
    assertEquals(100, s.highWatermark(100, 30));
  }

  @Test
  void theHighWatermarkIsFrozenBelowMinInSyncAndNeverMovesBack() {
    InSyncState s = state(List.of(1), 2, 0);
    assertTrue(s.underMinInSync());
    assertEquals(7, s.highWatermark(100, 7), "leader alone with min-in-sync 2");
    s.onCommitted(ALL, 6);
    s.onReport(2, 3, 100, 1); // a member that lost data reports below the watermark
    s.onReport(3, 100, 100, 1);
    assertFalse(s.underMinInSync());
    assertEquals(7, s.highWatermark(100, 7));
  }

  @Test
  void aMemberThatHasNotReportedInThisTermHoldsTheHighWatermark() {
    InSyncState s = state(ALL, 1, 100);
    s.onReport(2, 100, 100, 1);
    assertEquals(90, s.highWatermark(100, 90));
    s.onReport(3, 100, 100, 1);
    assertEquals(100, s.highWatermark(100, 90));
  }

  @Test
  void reportsOfNodesThatAreNoFollowersAreIgnored() {
    InSyncState s = state(ALL, 1, 0);
    assertFalse(s.onReport(9, 1_000_000, 100, 1));
    assertFalse(s.onReport(1, 1_000_000, 100, 1));
    assertEquals(-1, s.positions().get(2).logEndOffset());
  }

  @Test
  void olderCommittedSetsAreIgnored() {
    InSyncState s = state(ALL, 1, 0);
    s.onCommitted(List.of(1, 2), 7);
    s.onCommitted(ALL, 6);
    assertEquals(List.of(1, 2), s.committed());
    assertEquals(7, s.committedVersion());
  }
}
