package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The lookups the CLI and the demo make on a description. */
class TopicDescriptionTest {
  private static final ReplicaDescription LEADER_1 =
      new ReplicaDescription(
          1, ReplicaRole.LEADER, 12, 8, ReplicaState.LEADING, 0, "", 0, false, 0);
  private static final ReplicaDescription FOLLOWER_2 =
      new ReplicaDescription(
          2, ReplicaRole.FOLLOWER, 10, 8, ReplicaState.IN_SYNC, 0, "", 0, false, 0);
  private static final ReplicaDescription UNKNOWN_3 =
      ReplicaDescription.unknown(3, ReplicaRole.FOLLOWER);

  @Test
  void theLeaderReplicaIsFoundByRole() {
    PartitionDescription p =
        new PartitionDescription(0, 1, 4, List.of(1, 2), List.of(FOLLOWER_2, UNKNOWN_3, LEADER_1));
    assertEquals(Optional.of(LEADER_1), p.leaderReplica());
  }

  @Test
  void withoutALeaderRoleTheReplicaOnTheLeadersNodeLeads() {
    // A leader whose node did not answer is still reported with its assigned role; this covers a
    // description where roles and the leader id disagree (the role moved, the id not yet).
    PartitionDescription p =
        new PartitionDescription(0, 3, 4, List.of(2, 3), List.of(FOLLOWER_2, UNKNOWN_3));
    assertEquals(Optional.of(UNKNOWN_3), p.leaderReplica());
  }

  @Test
  void anOfflinePartitionHasNoLeaderReplica() {
    PartitionDescription p =
        new PartitionDescription(
            0, PartitionDescription.NO_LEADER, 5, List.of(2), List.of(FOLLOWER_2, UNKNOWN_3));
    assertEquals(Optional.empty(), p.leaderReplica());
  }

  @Test
  void replicasAreFoundByNode() {
    PartitionDescription p =
        new PartitionDescription(0, 1, 4, List.of(1, 2), List.of(LEADER_1, FOLLOWER_2, UNKNOWN_3));
    assertEquals(Optional.of(FOLLOWER_2), p.replica(2));
    assertEquals(Optional.empty(), p.replica(9));
    assertEquals(List.of(1, 2, 3), p.replicaNodes());
  }

  @Test
  void partitionsAreFoundByIndex() {
    PartitionDescription p0 = new PartitionDescription(0, 1, 1, List.of(1), List.of(LEADER_1));
    PartitionDescription p1 = new PartitionDescription(1, -1, 2, List.of(), List.of());
    TopicDescription t = new TopicDescription("orders", 2, 1, List.of(p0, p1));
    assertEquals(Optional.of(p1), t.partition(1));
    assertEquals(Optional.empty(), t.partition(2));
  }

  @Test
  void healthSummarisesStallsBackoffAndTheLastError() {
    assertEquals("ok", LEADER_1.health());
    assertEquals("ok", UNKNOWN_3.health());
    assertEquals(
        "STALLED stalls=3 backoff=200ms error=connection reset",
        follower("connection reset", 200, true, 3).health());
    assertEquals("stalls=1", follower("", 0, false, 1).health());
    assertEquals("backoff=50ms", follower("", 50, false, 0).health());
    assertEquals("error=refused", follower("refused", 0, false, 0).health());
    assertEquals("STALLED", follower("  ", 0, true, 0).health());
  }

  @Test
  void missingValuesReadAsTheirNeutralForm() {
    ReplicaDescription r =
        new ReplicaDescription(4, ReplicaRole.FOLLOWER, 0, 0, null, 0, null, 0, false, 0);
    assertEquals(ReplicaState.UNKNOWN, r.state());
    assertEquals("", r.lastError());
    assertThrows(
        NullPointerException.class,
        () -> new ReplicaDescription(4, null, 0, 0, ReplicaState.IN_SYNC, 0, "", 0, false, 0));
    assertEquals(List.of(), new TopicDescription("t", 0, 1, null).partitions());
    PartitionDescription p = new PartitionDescription(0, 1, 1, null, null);
    assertEquals(List.of(), p.inSync());
    assertEquals(List.of(), p.replicas());
    assertEquals(List.of(), new TopicList(null).topics());
  }

  @Test
  void descriptionsDoNotShareTheCallersLists() {
    List<Integer> inSync = new ArrayList<>(List.of(1));
    PartitionDescription p = new PartitionDescription(0, 1, 1, inSync, List.of(LEADER_1));
    inSync.add(2);
    assertEquals(List.of(1), p.inSync());
    assertThrows(UnsupportedOperationException.class, () -> p.replicas().add(FOLLOWER_2));
  }

  private static ReplicaDescription follower(
      String lastError, long backoffMillis, boolean stalled, int stallCount) {
    return new ReplicaDescription(
        2,
        ReplicaRole.FOLLOWER,
        10,
        8,
        ReplicaState.BACKING_OFF,
        100,
        lastError,
        backoffMillis,
        stalled,
        stallCount);
  }
}
