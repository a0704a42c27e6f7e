package dev.sluice.node.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.node.controller.Controller.Event;
import dev.sluice.node.controller.Controller.Event.InSyncSetChanged;
import dev.sluice.node.controller.Controller.Event.LeaderElected;
import dev.sluice.node.controller.Controller.Event.NodeJoined;
import dev.sluice.node.controller.Controller.Event.NodeLeft;
import dev.sluice.node.controller.Controller.Event.TopicCreated;
import dev.sluice.node.controller.ControllerState.Changes;
import dev.sluice.node.controller.ControllerState.Notice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The controller's pure decisions: which replica leads after a failure or a return, when a
 * partition goes offline, what a node with a new storage id loses, and that every change bumps the
 * partition version. States are built from events, as recovery builds them; a few rows build states
 * that the decisions never produce (a live in-sync replica on another disk), to check the
 * eligibility rule on its own.
 */
class ControllerStateTest {

  private static final ElectionPolicy CLEAN = ElectionPolicy.CLEAN_ONLY;
  private static final ElectionPolicy UNCLEAN = ElectionPolicy.UNCLEAN_ALLOWED;
  private static final int NONE = PartitionAssignment.NO_LEADER;

  private static String disk(int node) {
    return "disk-" + node;
  }

  private static String replaced(int node) {
    return "disk-" + node + "-new";
  }

  private static String address(int node) {
    return "node-" + node;
  }

  /** Nodes 1, 2, 3 live on their first disks; topic t: one partition on 1, 2, 3, led by 1. */
  private static ControllerState cluster() {
    ControllerState s = ControllerState.empty();
    for (int n = 1; n <= 3; n++) {
      s = s.apply(new NodeJoined(n, address(n), disk(n)));
    }
    List<Integer> replicas = List.of(1, 2, 3);
    PartitionAssignment p = PartitionAssignment.initial(0, replicas, s.storageIdsOf(replicas));
    return s.apply(new TopicCreated(new TopicMetadata("t", List.of(p))));
  }

  private static PartitionAssignment p(ControllerState s) {
    return s.topics().get("t").partition(0);
  }

  /** The leader's in-sync update, as the controller applies it. */
  private static ControllerState inSync(ControllerState s, Integer... members) {
    return s.apply(s.inSyncChange("t", p(s), List.of(members)));
  }

  /** Applies the decided events, as the controller persists them and recovery replays them. */
  private static ControllerState after(ControllerState s, Changes changes) {
    return applyAll(s, changes.events());
  }

  /** Replays events in order, as recovery does. */
  private static ControllerState applyAll(ControllerState s, List<? extends Event> events) {
    for (Event event : events) {
      s = s.apply(event);
    }
    return s;
  }

  private static List<String> warnings(Changes changes) {
    return changes.notices().stream()
        .filter(n -> n.severity() == Notice.Severity.WARN)
        .map(Notice::message)
        .toList();
  }

  // ---- elections when the leader leaves ---------------------------------------------------------

  static Stream<Arguments> failovers() {
    UnaryOperator<ControllerState> all = s -> s;
    return Stream.of(
        row("the first in-sync replica leads", all, CLEAN, 2, List.of(2, 3)),
        row("a replica out of sync is skipped", s -> inSync(s, 1, 3), CLEAN, 3, List.of(3)),
        row(
            "a dead in-sync replica is skipped",
            s -> s.apply(new NodeLeft(2)),
            CLEAN,
            3,
            List.of(2, 3)),
        row(
            "an in-sync replica on another disk is skipped",
            s -> s.apply(new NodeJoined(2, address(2), replaced(2))),
            CLEAN,
            3,
            List.of(2, 3)),
        row(
            "no live in-sync replica: offline, in-sync set kept",
            s -> inSync(s, 1),
            CLEAN,
            NONE,
            List.of(1)),
        row(
            "only in-sync replicas on another disk: offline, in-sync set kept",
            s -> inSync(s, 1, 2).apply(new NodeJoined(2, address(2), replaced(2))),
            CLEAN,
            NONE,
            List.of(1, 2)),
        row(
            "unclean: the first live replica leads alone",
            s -> inSync(s, 1),
            UNCLEAN,
            2,
            List.of(2)),
        row(
            "unclean: a replica on another disk leads when it is the first live one",
            s ->
                inSync(s, 1, 2)
                    .apply(new NodeJoined(2, address(2), replaced(2)))
                    .apply(new NodeLeft(3)),
            UNCLEAN,
            2,
            List.of(2)),
        row(
            "unclean with no live replica: offline",
            s -> inSync(s, 1).apply(new NodeLeft(2)).apply(new NodeLeft(3)),
            UNCLEAN,
            NONE,
            List.of(1)),
        row(
            "unclean is not used while a replica is eligible",
            s -> inSync(s, 1, 3),
            UNCLEAN,
            3,
            List.of(3)),
        row(
            "a membership recorded before storage ids existed is accepted",
            s ->
                s.apply(new InSyncSetChanged("t", 0, 0, List.of(1, 2), Map.of()))
                    .apply(new NodeJoined(2, address(2), replaced(2))),
            CLEAN,
            2,
            List.of(2)),
        row(
            "a node that registered without a storage id is accepted",
            s -> s.apply(new NodeJoined(2, address(2), null)),
            CLEAN,
            2,
            List.of(2, 3)));
  }

  private static Arguments row(
      String name,
      UnaryOperator<ControllerState> setup,
      ElectionPolicy policy,
      int leader,
      List<Integer> inSync) {
    return Arguments.of(name, setup, policy, leader, inSync);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failovers")
  void leaderLeaves(
      String name,
      UnaryOperator<ControllerState> setup,
      ElectionPolicy policy,
      int leader,
      List<Integer> inSync) {
    ControllerState before = setup.apply(cluster());

    Changes changes = before.nodeDown(1, policy);
    PartitionAssignment p = p(after(before, changes));

    assertEquals(leader, p.leader(), changes.toString());
    assertEquals(1, p.leaderEpoch());
    assertEquals(inSync, p.inSync());
    assertEquals(new NodeLeft(1), changes.events().get(0));
    if (leader != NONE) {
      assertTrue(after(before, changes).eligible(p, leader), "the new leader is eligible");
    }
    if (leader == NONE) {
      assertTrue(warnings(changes).get(0).contains("is offline at epoch 1"), changes.toString());
    }
    if (policy == UNCLEAN && leader != NONE && !before.eligible(p(before), leader)) {
      assertTrue(
          warnings(changes).get(0).contains("acknowledged records may be lost"),
          changes.toString());
    }
  }

  @Test
  void offlineReasonNamesTheReplicasWhoseDiskChanged() {
    ControllerState before =
        inSync(cluster(), 1, 2).apply(new NodeJoined(2, address(2), replaced(2)));

    Changes changes = before.nodeDown(1, CLEAN);

    assertEquals(
        List.of(
            "Partition t-0 is offline at epoch 1: leader 1 lost (node 1 left) and its only live"
                + " in-sync replicas have a changed storage id: node 2 (recorded storage id disk-2,"
                + " now disk-2-new); it stays offline until an eligible replica returns"),
        warnings(changes));
  }

  @Test
  void offlineReasonWithoutLiveInSyncReplicas() {
    Changes changes = inSync(cluster(), 1).nodeDown(1, CLEAN);

    assertTrue(
        warnings(changes).get(0).contains("no other in-sync replica is live (in-sync set [1])"),
        changes.toString());
  }

  @Test
  void followerLeavingDropsOutOfTheInSyncSetAtTheSameEpoch() {
    ControllerState before = cluster();

    Changes changes = before.nodeDown(3, CLEAN);

    assertEquals(
        List.of(
            new NodeLeft(3),
            new InSyncSetChanged("t", 0, 0, List.of(1, 2), Map.of(1, disk(1), 2, disk(2)))),
        changes.events());
    assertEquals(1, p(after(before, changes)).leader());
  }

  // ---- a node that returns ----------------------------------------------------------------------

  @Test
  void sameAddressAndStorageIdIsNoChange() {
    assertEquals(Changes.NONE, cluster().nodeUp(2, address(2), disk(2), CLEAN));
  }

  @Test
  void newAddressWithTheSameDiskKeepsEveryMembership() {
    ControllerState before = cluster();

    Changes changes = before.nodeUp(2, "node-2-moved", disk(2), CLEAN);

    assertEquals(List.of(new NodeJoined(2, "node-2-moved", disk(2))), changes.events());
    assertEquals(List.of(), warnings(changes));
  }

  @Test
  void leaderBackOnAnotherDiskFailsOverAsIfItHadLeft() {
    ControllerState before = cluster();

    Changes changes = before.nodeUp(1, address(1), replaced(1), CLEAN);
    ControllerState s = after(before, changes);

    assertEquals(
        List.of(
            new NodeJoined(1, address(1), replaced(1)),
            new InSyncSetChanged("t", 0, 0, List.of(2, 3), Map.of(2, disk(2), 3, disk(3))),
            new LeaderElected("t", 0, 2, 1)),
        changes.events());
    assertEquals(Map.of(1, replaced(1)), s.storageIdsOf(List.of(1)));
    List<String> warnings = warnings(changes);
    assertTrue(
        warnings
            .get(0)
            .contains("Node 1 registered with storage id disk-1-new, before with" + " disk-1"),
        warnings.toString());
    assertTrue(
        warnings
            .get(1)
            .contains(
                "its leader, node 1, came back with storage id disk-1-new instead"
                    + " of disk-1: failing over"),
        warnings.toString());
  }

  @Test
  void leaderBackOnAnotherDiskWithNoOtherEligibleReplicaGoesOffline() {
    ControllerState before = inSync(cluster(), 1);

    Changes changes = before.nodeUp(1, address(1), replaced(1), CLEAN);
    PartitionAssignment p = p(after(before, changes));

    assertEquals(NONE, p.leader());
    assertEquals(1, p.leaderEpoch());
    assertEquals(List.of(1), p.inSync());
    assertEquals(disk(1), p.recordedStorageId(1), "the old disk stays the only eligible one");
  }

  @Test
  void followerBackOnAnotherDiskLeavesTheInSyncSetAndRejoinsWithItsNewId() {
    ControllerState before = cluster();

    Changes changes = before.nodeUp(2, address(2), replaced(2), CLEAN);
    ControllerState s = after(before, changes);

    assertEquals(
        List.of(
            new NodeJoined(2, address(2), replaced(2)),
            new InSyncSetChanged("t", 0, 0, List.of(1, 3), Map.of(1, disk(1), 3, disk(3)))),
        changes.events());
    assertEquals(1, p(s).leader());
    assertEquals(0, p(s).leaderEpoch());
    assertTrue(
        warnings(changes)
            .get(1)
            .contains(
                "node 2 came back with storage id disk-2-new instead of"
                    + " disk-2: it leaves the in-sync set"),
        warnings(changes).toString());

    // The leader adds it back once it has caught up: its membership is now tied to the new disk.
    ControllerState rejoined = inSync(s, 1, 2, 3);
    assertEquals(replaced(2), p(rejoined).recordedStorageId(2));
    assertEquals(2, p(after(rejoined, rejoined.nodeDown(1, CLEAN))).leader());
  }

  @Test
  void offlinePartitionKeepsAReplicaOnAnotherDiskButOnlyItsOldDiskBringsItBack() {
    ControllerState offline = inSync(cluster(), 1);
    offline = after(offline, offline.nodeDown(1, CLEAN));
    assertEquals(NONE, p(offline).leader());

    Changes wiped = offline.nodeUp(1, address(1), replaced(1), CLEAN);
    ControllerState s = after(offline, wiped);

    assertEquals(List.of(new NodeJoined(1, address(1), replaced(1))), wiped.events());
    assertEquals(NONE, p(s).leader());
    assertEquals(List.of(1), p(s).inSync());
    assertFalse(s.eligible(p(s), 1));
    assertTrue(
        warnings(wiped).stream().anyMatch(w -> w.contains("is not eligible to lead it")),
        warnings(wiped).toString());

    // The node goes again and returns with its old disk: a clean election.
    ControllerState down = after(s, s.nodeDown(1, CLEAN));
    Changes back = down.nodeUp(1, address(1), disk(1), CLEAN);

    assertEquals(
        List.of(new NodeJoined(1, address(1), disk(1)), new LeaderElected("t", 0, 1, 2)),
        back.events());
    assertTrue(
        back.notices().stream().anyMatch(n -> n.message().contains("is back online")),
        back.toString());
  }

  @Test
  void offlinePartitionElectsUncleanlyWhenAllowed() {
    // Every replica is down; the last in-sync one returns on a new disk.
    ControllerState offline = inSync(cluster(), 1);
    for (int n : List.of(2, 3, 1)) {
      offline = after(offline, offline.nodeDown(n, CLEAN));
    }

    Changes clean = offline.nodeUp(1, address(1), replaced(1), CLEAN);
    Changes unclean = offline.nodeUp(1, address(1), replaced(1), UNCLEAN);

    assertEquals(NONE, p(after(offline, clean)).leader());
    PartitionAssignment p = p(after(offline, unclean));
    assertEquals(1, p.leader());
    assertEquals(2, p.leaderEpoch());
    assertEquals(List.of(1), p.inSync());
    assertEquals(replaced(1), p.recordedStorageId(1));
    assertTrue(
        warnings(unclean).stream().anyMatch(w -> w.contains("acknowledged records may be lost")),
        warnings(unclean).toString());
  }

  @Test
  void replicaReturningToAnOfflinePartitionIsElectedOnlyWhenEligible() {
    // Leader 1 was alone in sync and left; then 2 left too. 2 returns: it is no in-sync replica.
    ControllerState s = inSync(cluster(), 1);
    s = after(s, s.nodeDown(1, CLEAN));
    s = after(s, s.nodeDown(2, CLEAN));

    assertEquals(
        List.of(new NodeJoined(2, address(2), disk(2))),
        s.nodeUp(2, address(2), disk(2), CLEAN).events());
    assertEquals(2, p(after(s, s.nodeUp(2, address(2), disk(2), UNCLEAN))).leader());
  }

  // ---- storage ids recorded before they existed ------------------------------------------------

  @Test
  void eventsWithoutStorageIdsKeepWhatMembersHad() {
    ControllerState s = cluster().apply(new InSyncSetChanged("t", 0, 0, List.of(1, 2), null));

    assertEquals(Map.of(1, disk(1), 2, disk(2)), p(s).inSyncStorageIds());
  }

  @Test
  void legacyMembershipIsPinnedToTheDiskTheNodeRegisteredWithBefore() {
    // A partition written before storage ids existed; its nodes registered with ids since.
    ControllerState s = ControllerState.empty();
    for (int n = 1; n <= 3; n++) {
      s = s.apply(new NodeJoined(n, address(n), disk(n)));
    }
    PartitionAssignment legacy =
        new PartitionAssignment(0, List.of(1, 2, 3), 1, 0, List.of(1), null, 0);
    s = s.apply(new TopicCreated(new TopicMetadata("t", List.of(legacy))));
    s = after(s, s.nodeDown(1, CLEAN));
    assertEquals(NONE, p(s).leader());

    Changes wiped = s.nodeUp(1, address(1), replaced(1), CLEAN);
    ControllerState afterWiped = after(s, wiped);

    assertEquals(
        List.of(
            new NodeJoined(1, address(1), replaced(1)),
            new InSyncSetChanged("t", 0, 1, List.of(1), Map.of(1, disk(1)))),
        wiped.events());
    assertEquals(NONE, p(afterWiped).leader());
    assertEquals(disk(1), p(afterWiped).recordedStorageId(1));
  }

  // ---- partition version
  // --------------------------------------------------------------------------

  @Test
  void everyChangeToAPartitionBumpsItsVersion() {
    List<Integer> versions = new ArrayList<>();
    ControllerState s = cluster();
    versions.add(p(s).version());
    s = inSync(s, 1, 2);
    versions.add(p(s).version());
    s = after(s, s.nodeDown(1, CLEAN)); // in-sync set without 1, then leader 2
    versions.add(p(s).version());
    s = after(s, s.nodeDown(2, CLEAN)); // offline
    versions.add(p(s).version());
    s = after(s, s.nodeUp(2, address(2), disk(2), CLEAN)); // back online
    versions.add(p(s).version());
    s = after(s, s.nodeUp(3, address(3), disk(3), CLEAN)); // node 3 never left: no change
    versions.add(p(s).version());

    assertEquals(List.of(0, 1, 3, 4, 5, 5), versions);
  }

  @Test
  void replayingTheDecidedEventsFromScratchGivesTheSameState() {
    List<Event> journal = new ArrayList<>();
    ControllerState s = ControllerState.empty();
    for (Event e :
        List.of(
            new NodeJoined(1, address(1), disk(1)),
            new NodeJoined(2, address(2), disk(2)),
            new NodeJoined(3, address(3), disk(3)))) {
      journal.add(e);
      s = s.apply(e);
    }
    PartitionAssignment initial =
        PartitionAssignment.initial(0, List.of(1, 2, 3), s.storageIdsOf(List.of(1, 2, 3)));
    Event created = new TopicCreated(new TopicMetadata("t", List.of(initial)));
    journal.add(created);
    s = s.apply(created);
    Changes wiped = s.nodeUp(2, address(2), replaced(2), CLEAN);
    journal.addAll(wiped.events());
    s = after(s, wiped);
    InSyncSetChanged rejoin = s.inSyncChange("t", p(s), List.of(1, 2, 3));
    journal.add(rejoin);
    s = s.apply(rejoin);
    Changes down = s.nodeDown(1, CLEAN);
    journal.addAll(down.events());
    s = after(s, down);

    assertEquals(s, applyAll(ControllerState.empty(), journal));
    assertEquals(Map.of(2, replaced(2), 3, disk(3)), p(s).inSyncStorageIds());
  }
}
