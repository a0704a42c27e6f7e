package dev.sluice.replication.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class InSyncTrackerTest {
  private static final long LAG = 30_000_000_000L; // 30 s in nanos
  private static final List<Integer> REPLICAS = List.of(1, 2, 3);

  @Test
  void followersKeepTheirPlaceDuringTheGracePeriodAfterElection() {
    InSyncTracker t = new InSyncTracker(1, LAG, 0);
    assertEquals(REPLICAS, t.propose(REPLICAS, REPLICAS, 10, 0, LAG));
  }

  @Test
  void aFollowerNotCaughtUpForLongerThanTheLagTimeLeaves() {
    InSyncTracker t = new InSyncTracker(1, LAG, 0);
    t.onProgress(2, 10, 10, 5);
    t.onProgress(3, 4, 10, 5); // behind, never caught up
    assertEquals(REPLICAS, t.propose(REPLICAS, REPLICAS, 10, 4, LAG));
    assertEquals(List.of(1, 2), t.propose(REPLICAS, REPLICAS, 10, 4, LAG + 1));
  }

  @Test
  void anIdleCaughtUpFollowerStaysWithoutNewReports() {
    InSyncTracker t = new InSyncTracker(1, LAG, 0);
    t.onProgress(2, 10, 10, 1);
    t.onProgress(3, 10, 10, 1);
    assertEquals(REPLICAS, t.propose(REPLICAS, REPLICAS, 10, 10, 10 * LAG));
  }

  @Test
  void anOutOfSyncFollowerRejoinsOnceItReachesTheLeadersEnd() {
    InSyncTracker t = new InSyncTracker(1, LAG, 0);
    List<Integer> shrunk = List.of(1, 2);
    t.onProgress(2, 10, 10, 2 * LAG);
    t.onProgress(3, 7, 10, 2 * LAG);
    assertEquals(shrunk, t.propose(REPLICAS, shrunk, 10, 10, 2 * LAG));
    t.onProgress(3, 10, 10, 2 * LAG + 1);
    assertEquals(REPLICAS, t.propose(REPLICAS, shrunk, 10, 10, 2 * LAG + 1));
  }

  @Test
  void theLeaderIsAlwaysInTheSet() {
    InSyncTracker t = new InSyncTracker(2, LAG, 0);
    assertEquals(List.of(2), t.propose(REPLICAS, List.of(2), 5, 5, 3 * LAG));
  }
}
