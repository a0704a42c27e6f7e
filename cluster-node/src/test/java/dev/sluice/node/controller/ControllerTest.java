package dev.sluice.node.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sluice.node.controller.Controller.CreateTopic;
import dev.sluice.node.controller.Controller.CreateTopicReply;
import dev.sluice.node.controller.Controller.Event;
import dev.sluice.node.controller.Controller.InSyncSetRejected;
import dev.sluice.node.controller.Controller.InSyncSetReply;
import dev.sluice.node.controller.Controller.InSyncSetUpdated;
import dev.sluice.node.controller.Controller.NodeDown;
import dev.sluice.node.controller.Controller.NodeUp;
import dev.sluice.node.controller.Controller.Status;
import dev.sluice.node.controller.Controller.TopicCreated;
import dev.sluice.node.controller.Controller.TopicRejected;
import dev.sluice.node.controller.Controller.UpdateInSyncSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The controller's commands, events and failover rules on the in-memory journal of the
 * EventSourcedBehaviorTestKit, which also round-trips every command, event and state through the
 * configured (Jackson CBOR) serializer.
 */
class ControllerTest {

  private static final Config CONFIG =
      ConfigFactory.parseString(
              "pekko.actor.serialization-bindings {\n"
                  + "  \"dev.sluice.node.controller.ControllerSerializable\" = jackson-cbor\n"
                  + "}")
          .withFallback(EventSourcedBehaviorTestKit.config());

  private static final ActorTestKit testKit = ActorTestKit.create("ControllerTest", CONFIG);

  private EventSourcedBehaviorTestKit<Controller.Command, Event, ControllerState> controller;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void freshController() {
    // One persistence id for the whole cluster: every test starts from an empty journal.
    controller =
        EventSourcedBehaviorTestKit.create(
            testKit.system(), Controller.create(ElectionPolicy.CLEAN_ONLY));
    controller.clear();
  }

  /** The storage id node {@code id} starts with in these tests. */
  private static String disk(int id) {
    return "disk-" + id;
  }

  private void nodesUp(int... nodeIds) {
    for (int id : nodeIds) {
      controller.runCommand(new NodeUp(id, "node-" + id, disk(id)));
    }
  }

  private CommandResultWithReply<Controller.Command, Event, ControllerState, CreateTopicReply>
      createTopic(String name, int partitions, int replicationFactor) {
    return controller.runCommand(
        replyTo -> new CreateTopic(name, partitions, replicationFactor, replyTo));
  }

  private TopicMetadata created(String name, int partitions, int replicationFactor) {
    return createTopic(name, partitions, replicationFactor).replyOfType(TopicCreated.class).topic();
  }

  private InSyncSetReply updateInSync(String topic, int partition, int epoch, List<Integer> isr) {
    return controller
        .<InSyncSetReply>runCommand(
            replyTo ->
                new UpdateInSyncSet(
                    topic, partition, epoch, versionOrZero(topic, partition), isr, replyTo))
        .reply();
  }

  /** The partition's version, or 0 for one that does not exist (the request is refused anyway). */
  private int versionOrZero(String topic, int partition) {
    TopicMetadata t = controller.getState().topics().get(topic);
    return t == null || partition < 0 || partition >= t.partitions().size()
        ? 0
        : t.partition(partition).version();
  }

  private PartitionAssignment partition(String topic, int partition) {
    return controller.getState().topics().get(topic).partition(partition);
  }

  @Test
  void createdTopicSpreadsLeadersAndReplicasOverLiveNodes() {
    nodesUp(1, 2, 3);

    var result = createTopic("orders", 6, 3);

    TopicMetadata topic = result.replyOfType(TopicCreated.class).topic();
    assertEquals(new Event.TopicCreated(topic), result.event());
    assertEquals(topic, controller.getState().topics().get("orders"));
    Map<Integer, Integer> leaders = new HashMap<>();
    for (PartitionAssignment p : topic.partitions()) {
      assertEquals(3, p.replicas().stream().distinct().count(), p.toString());
      assertEquals(p.replicas().get(0), p.leader());
      assertEquals(0, p.leaderEpoch());
      assertEquals(p.replicas(), p.inSync());
      leaders.merge(p.leader(), 1, Integer::sum);
    }
    assertEquals(Map.of(1, 2, 2, 2, 3, 2), leaders);
  }

  @Test
  void successiveTopicsDoNotAllStartOnTheSameNode() {
    nodesUp(1, 2, 3);

    TopicMetadata a = created("a", 1, 1);
    TopicMetadata b = created("b", 1, 1);

    assertEquals(1, a.partition(0).leader());
    assertEquals(2, b.partition(0).leader());
  }

  @Test
  void duplicateTopicIsAConflictAndChangesNothing() {
    nodesUp(1, 2);
    TopicMetadata original = created("orders", 2, 2);

    var result = createTopic("orders", 4, 1);

    assertEquals(
        new TopicRejected(Status.CONFLICT, "topic 'orders' already exists"), result.reply());
    assertTrue(result.hasNoEvents());
    assertEquals(original, controller.getState().topics().get("orders"));
  }

  static Stream<Arguments> invalidTopics() {
    return Stream.of(
        Arguments.of("bad name", 1, 1, "topic name 'bad name' is invalid"),
        Arguments.of("", 1, 1, "topic name '' is invalid"),
        Arguments.of("..", 1, 1, "topic name '..' is invalid"),
        Arguments.of("x".repeat(201), 1, 1, "is invalid: use 1 to 200 characters"),
        Arguments.of("orders", 0, 1, "partitions must be between 1 and 10000, got 0"),
        Arguments.of("orders", 10_001, 1, "partitions must be between 1 and 10000, got 10001"),
        Arguments.of("orders", 3, 0, "replication factor must be at least 1, got 0"),
        Arguments.of(
            "orders", 3, 4, "replication factor 4 is larger than the number of live nodes (3)"));
  }

  @ParameterizedTest(name = "[{index}] {3}")
  @MethodSource("invalidTopics")
  void invalidTopicIsABadRequestNamingTheProblem(
      String name, int partitions, int replicationFactor, String expected) {
    nodesUp(1, 2, 3);

    var result = createTopic(name, partitions, replicationFactor);

    TopicRejected rejected = result.replyOfType(TopicRejected.class);
    assertEquals(Status.BAD_REQUEST, rejected.status());
    assertTrue(rejected.message().contains(expected), rejected.message());
    assertTrue(result.hasNoEvents());
  }

  @Test
  void longestValidNameAndMostPartitionsAreAccepted() {
    nodesUp(1);

    createTopic("a-Z_0.9" + "x".repeat(193), 10_000, 1).replyOfType(TopicCreated.class);
  }

  @Test
  void leaderDownElectsTheFirstLiveInSyncReplicaAndBumpsTheEpoch() {
    nodesUp(1, 2, 3);
    created("orders", 3, 3);
    PartitionAssignment ledByOne =
        controller.getState().topics().get("orders").partitions().stream()
            .filter(p -> p.leader() == 1)
            .findFirst()
            .orElseThrow();
    int expectedLeader = ledByOne.replicas().get(1);

    var result = controller.runCommand(new NodeDown(1));

    assertTrue(result.events().contains(new Event.NodeLeft(1)));
    assertTrue(
        result
            .events()
            .contains(new Event.LeaderElected("orders", ledByOne.partition(), expectedLeader, 1)),
        result.events().toString());
    PartitionAssignment after = partition("orders", ledByOne.partition());
    assertEquals(expectedLeader, after.leader());
    assertEquals(1, after.leaderEpoch());
    assertFalse(after.inSync().contains(1));
    assertEquals(Map.of(2, "node-2", 3, "node-3"), controller.getState().liveNodes());
  }

  @Test
  void followerDownLeavesInSyncSetsWithoutChangingLeaderOrEpoch() {
    nodesUp(1, 2, 3);
    created("orders", 3, 3);

    controller.runCommand(new NodeDown(3));

    for (PartitionAssignment p : controller.getState().topics().get("orders").partitions()) {
      if (p.replicas().get(0) != 3) {
        assertEquals(p.replicas().get(0), p.leader());
        assertEquals(0, p.leaderEpoch());
      }
      assertFalse(p.inSync().contains(3), p.toString());
    }
  }

  @Test
  void leaderDownWithNoLiveInSyncReplicaGoesOfflineUntilItReturns() {
    nodesUp(1, 2);
    created("orders", 1, 2);
    int leader = partition("orders", 0).leader();
    int follower = partition("orders", 0).replicas().get(1);
    // The follower fell behind: only the leader is in sync.
    assertEquals(InSyncSetUpdated.class, updateInSync("orders", 0, 0, List.of(leader)).getClass());

    controller.runCommand(new NodeDown(leader));

    PartitionAssignment offline = partition("orders", 0);
    assertEquals(PartitionAssignment.NO_LEADER, offline.leader());
    assertEquals(1, offline.leaderEpoch());
    assertEquals(List.of(leader), offline.inSync());
    assertTrue(controller.getState().liveNodes().containsKey(follower));

    var back =
        controller.runCommand(new NodeUp(leader, "node-" + leader + "-restarted", disk(leader)));

    assertTrue(back.events().contains(new Event.LeaderElected("orders", 0, leader, 2)));
    assertEquals(leader, partition("orders", 0).leader());
  }

  @Test
  void staleEpochInSyncUpdateIsRejected() {
    nodesUp(1, 2, 3);
    created("orders", 1, 3);
    int oldLeader = partition("orders", 0).leader();
    controller.runCommand(new NodeDown(oldLeader));
    PartitionAssignment current = partition("orders", 0);

    var result =
        controller.<InSyncSetReply>runCommand(
            replyTo ->
                new UpdateInSyncSet(
                    "orders", 0, 0, partition("orders", 0).version(), List.of(oldLeader), replyTo));

    assertEquals(
        new InSyncSetRejected(
            Status.CONFLICT, "stale leader epoch 0 for orders-0: the current leader epoch is 1"),
        result.reply());
    assertTrue(result.hasNoEvents());
    assertEquals(current, partition("orders", 0));
  }

  @Test
  void currentLeaderShrinksInSyncSetButMayNotAddADeadNode() {
    nodesUp(1, 2, 3);
    created("orders", 1, 3);
    PartitionAssignment p = partition("orders", 0);
    int leader = p.leader();
    int f1 = p.replicas().get(1);
    int f2 = p.replicas().get(2);

    var shrink =
        controller.<InSyncSetReply>runCommand(
            replyTo ->
                new UpdateInSyncSet(
                    "orders",
                    0,
                    0,
                    partition("orders", 0).version(),
                    List.of(f1, leader),
                    replyTo));
    assertEquals(
        List.of(
            new Event.InSyncSetChanged(
                "orders", 0, 0, List.of(leader, f1), Map.of(leader, disk(leader), f1, disk(f1)))),
        shrink.events());
    assertEquals(List.of(leader, f1), ((InSyncSetUpdated) shrink.reply()).partition().inSync());

    controller.runCommand(new NodeDown(f2));
    InSyncSetReply addDead = updateInSync("orders", 0, 0, List.of(leader, f1, f2));

    assertEquals(
        new InSyncSetRejected(
            Status.CONFLICT,
            "node " + f2 + " cannot join the in-sync set of orders-0: it is not live"),
        addDead);
  }

  @Test
  void inSyncSetWithoutTheLeaderOrWithAStrangerIsABadRequest() {
    nodesUp(1, 2, 3, 4);
    created("orders", 1, 2);
    PartitionAssignment p = partition("orders", 0);
    int stranger =
        List.of(1, 2, 3, 4).stream()
            .filter(n -> !p.replicas().contains(n))
            .findFirst()
            .orElseThrow();

    InSyncSetReply noLeader = updateInSync("orders", 0, 0, List.of(p.replicas().get(1)));
    InSyncSetReply withStranger = updateInSync("orders", 0, 0, List.of(p.leader(), stranger));
    InSyncSetReply unknown = updateInSync("nope", 0, 0, List.of(1));

    assertEquals(Status.BAD_REQUEST, ((InSyncSetRejected) noLeader).status());
    assertEquals(Status.BAD_REQUEST, ((InSyncSetRejected) withStranger).status());
    assertEquals(Status.NOT_FOUND, ((InSyncSetRejected) unknown).status());
  }

  @Test
  void repeatedNodeUpAndUnknownNodeDownPersistNothing() {
    nodesUp(1);

    assertTrue(controller.runCommand(new NodeUp(1, "node-1", disk(1))).hasNoEvents());
    assertTrue(controller.runCommand(new NodeDown(9)).hasNoEvents());
  }

  @Test
  void recoveryFromEventsRestoresTheSameState() {
    nodesUp(1, 2, 3);
    created("orders", 4, 3);
    created("audit", 2, 2);
    controller.runCommand(new NodeDown(2));
    ControllerState before = controller.getState();

    ControllerState recovered = controller.restart().state();

    assertEquals(before, recovered);
    assertEquals(before.toSnapshot(), recovered.toSnapshot());
  }

  @Test
  void recoveryFromASnapshotRestoresTheSameState() {
    // 3 + 97 = 100 events: exactly one snapshot, at sequence number 100.
    nodesUp(1, 2, 3);
    for (int i = 0; i < 97; i++) {
      created("topic-" + i, 2, 2);
    }
    ControllerState before = controller.getState();
    assertEquals(100, before.revision());
    assertEquals(
        1,
        controller
            .snapshotTestKit()
            .orElseThrow()
            .persistedInStorage(Controller.PERSISTENCE_ID)
            .size());
    // Without the events, only the snapshot can bring the state back.
    controller.persistenceTestKit().clearByIdPreservingSeqNumbers(Controller.PERSISTENCE_ID);

    ControllerState recovered = controller.restart().state();

    assertEquals(before, recovered);
  }

  // ---- storage ids, eligibility and partition versions ----------------------------------------

  private static String newDisk(int id) {
    return "disk-" + id + "-new";
  }

  /** Topic "orders" of one partition on nodes 1, 2, 3, led by 1. */
  private PartitionAssignment onePartitionOnThreeNodes() {
    nodesUp(1, 2, 3);
    PartitionAssignment p = created("orders", 1, 3).partition(0);
    assertEquals(List.of(1, 2, 3), p.replicas());
    return p;
  }

  @Test
  void createdTopicTiesEveryReplicaToItsNodesStorageIdAtVersionZero() {
    PartitionAssignment p = onePartitionOnThreeNodes();

    assertEquals(Map.of(1, disk(1), 2, disk(2), 3, disk(3)), p.inSyncStorageIds());
    assertEquals(0, p.version());
    assertEquals(Map.of(1, disk(1), 2, disk(2), 3, disk(3)), controller.getState().storageIds());
  }

  @Test
  void leaderBackOnAnotherDiskFailsOverAndTheWarningNamesBothIds() {
    onePartitionOnThreeNodes();

    var result =
        LoggingTestKit.warn(
                "its leader, node 1, came back with storage id disk-1-new instead of"
                    + " disk-1: failing over")
            .expect(
                testKit.system(), () -> controller.runCommand(new NodeUp(1, "node-1", newDisk(1))));

    assertEquals(
        List.of(
            new Event.NodeJoined(1, "node-1", newDisk(1)),
            new Event.InSyncSetChanged(
                "orders", 0, 0, List.of(2, 3), Map.of(2, disk(2), 3, disk(3))),
            new Event.LeaderElected("orders", 0, 2, 1)),
        result.events());
    PartitionAssignment p = partition("orders", 0);
    assertEquals(2, p.leader());
    assertEquals(List.of(2, 3), p.inSync());
    assertEquals(2, p.version());
  }

  @Test
  void followerOnAnotherDiskLeavesTheInSyncSetAndRejoinsThroughTheLeaderWithItsNewId() {
    onePartitionOnThreeNodes();

    var wiped = controller.runCommand(new NodeUp(3, "node-3", newDisk(3)));

    assertEquals(
        new Event.InSyncSetChanged("orders", 0, 0, List.of(1, 2), Map.of(1, disk(1), 2, disk(2))),
        wiped.events().get(1));
    assertEquals(1, partition("orders", 0).leader());

    InSyncSetReply rejoined = updateInSync("orders", 0, 0, List.of(1, 2, 3));

    PartitionAssignment p = ((InSyncSetUpdated) rejoined).partition();
    assertEquals(List.of(1, 2, 3), p.inSync());
    assertEquals(newDisk(3), p.recordedStorageId(3));
    assertEquals(2, p.version());
    assertEquals(p, partition("orders", 0));
  }

  @Test
  void offlinePartitionStaysOfflineForANewDiskAndReturnsWithTheOldOne() {
    onePartitionOnThreeNodes();
    updateInSync("orders", 0, 0, List.of(1));
    controller.runCommand(new NodeDown(1));
    assertEquals(PartitionAssignment.NO_LEADER, partition("orders", 0).leader());

    var wiped =
        LoggingTestKit.warn(
                "Partition orders-0 (offline): node 1 came back with storage id"
                    + " disk-1-new instead of disk-1: it is not eligible to lead it")
            .expect(
                testKit.system(), () -> controller.runCommand(new NodeUp(1, "node-1", newDisk(1))));

    assertEquals(List.of(new Event.NodeJoined(1, "node-1", newDisk(1))), wiped.events());
    assertEquals(PartitionAssignment.NO_LEADER, partition("orders", 0).leader());
    assertEquals(List.of(1), partition("orders", 0).inSync());

    controller.runCommand(new NodeDown(1));
    var back =
        LoggingTestKit.info("Partition orders-0 is back online: in-sync replica 1 leads at epoch 2")
            .expect(
                testKit.system(), () -> controller.runCommand(new NodeUp(1, "node-1", disk(1))));

    assertTrue(back.events().contains(new Event.LeaderElected("orders", 0, 1, 2)));
    assertEquals(1, partition("orders", 0).leader());
  }

  @Test
  void goingOfflineIsAWarningWithTheReason() {
    onePartitionOnThreeNodes();
    updateInSync("orders", 0, 0, List.of(1));

    LoggingTestKit.warn(
            "Partition orders-0 is offline at epoch 1: leader 1 lost (node 1 left) and"
                + " no other in-sync replica is live (in-sync set [1])")
        .expect(testKit.system(), () -> controller.runCommand(new NodeDown(1)));
  }

  @Test
  void uncleanElectionWhenAllowedElectsTheFirstLiveReplicaWithAWarning() {
    var unclean =
        EventSourcedBehaviorTestKit.<Controller.Command, Event, ControllerState>create(
            testKit.system(), Controller.create(ElectionPolicy.UNCLEAN_ALLOWED));
    unclean.clear();
    for (int id = 1; id <= 3; id++) {
      unclean.runCommand(new NodeUp(id, "node-" + id, disk(id)));
    }
    unclean.<CreateTopicReply>runCommand(replyTo -> new CreateTopic("orders", 1, 3, replyTo));
    unclean.<InSyncSetReply>runCommand(
        replyTo ->
            new UpdateInSyncSet(
                "orders",
                0,
                0,
                unclean.getState().topics().get("orders").partition(0).version(),
                List.of(1),
                replyTo));

    LoggingTestKit.warn("acknowledged records may be lost")
        .expect(testKit.system(), () -> unclean.runCommand(new NodeDown(1)));

    PartitionAssignment p = unclean.getState().topics().get("orders").partition(0);
    assertEquals(2, p.leader());
    assertEquals(1, p.leaderEpoch());
    assertEquals(List.of(2), p.inSync());
    assertEquals(Map.of(2, disk(2)), p.inSyncStorageIds());
    assertEquals(p, unclean.restart().state().topics().get("orders").partition(0));
  }

  @Test
  void aProposalComputedAgainstAnOlderVersionIsNotAppliedAndGetsTheCurrentSet() {
    onePartitionOnThreeNodes();
    PartitionAssignment before = partition("orders", 0);
    // The leader shrinks to {1, 2}; meanwhile it proposes again from the old version.
    updateInSync("orders", 0, 0, List.of(1, 2));
    PartitionAssignment current = partition("orders", 0);

    var stale =
        controller.<InSyncSetReply>runCommand(
            replyTo ->
                new UpdateInSyncSet("orders", 0, 0, before.version(), List.of(1, 3), replyTo));
    assertTrue(stale.hasNoEvents());
    assertEquals(new Controller.InSyncSetStale(current), stale.reply());

    // A retry of the proposal that was applied is answered as accepted.
    var retry =
        controller.<InSyncSetReply>runCommand(
            replyTo ->
                new UpdateInSyncSet("orders", 0, 0, before.version(), List.of(2, 1), replyTo));
    assertTrue(retry.hasNoEvents());
    assertEquals(new InSyncSetUpdated(current), retry.reply());
  }

  @Test
  void inSyncUpdateBumpsTheVersionAndAnUnchangedSetDoesNot() {
    onePartitionOnThreeNodes();

    var shrink =
        controller.<InSyncSetReply>runCommand(
            replyTo ->
                new UpdateInSyncSet(
                    "orders", 0, 0, partition("orders", 0).version(), List.of(1, 2), replyTo));
    var same =
        controller.<InSyncSetReply>runCommand(
            replyTo ->
                new UpdateInSyncSet(
                    "orders", 0, 0, partition("orders", 0).version(), List.of(2, 1), replyTo));

    assertEquals(1, ((InSyncSetUpdated) shrink.reply()).partition().version());
    assertTrue(same.hasNoEvents());
    assertEquals(((InSyncSetUpdated) shrink.reply()), same.reply());
  }

  @Test
  void recoveryFromEventsReproducesRecordedStorageIdsAndVersions() {
    onePartitionOnThreeNodes();
    created("audit", 2, 2);
    controller.runCommand(new NodeUp(2, "node-2", newDisk(2)));
    updateInSync("orders", 0, 0, List.of(1, 2, 3));
    controller.runCommand(new NodeDown(1));
    ControllerState before = controller.getState();
    assertEquals(Map.of(2, newDisk(2), 3, disk(3)), partition("orders", 0).inSyncStorageIds());

    ControllerState recovered = controller.restart().state();

    assertEquals(before, recovered);
    // Node 1 left; its last storage id is kept to recognize its return with another disk.
    assertEquals(Map.of(1, disk(1), 2, newDisk(2), 3, disk(3)), recovered.storageIds());
    assertEquals(Map.of(2, "node-2", 3, "node-3"), recovered.liveNodes());
  }

  @Test
  void recoveryFromASnapshotReproducesRecordedStorageIds() {
    onePartitionOnThreeNodes(); // 4 events
    controller.runCommand(new NodeUp(3, "node-3", newDisk(3))); // 2 events
    updateInSync("orders", 0, 0, List.of(1, 2, 3)); // 1 event
    for (int i = 0; i < 93; i++) {
      created("topic-" + i, 1, 1);
    }
    ControllerState before = controller.getState();
    assertEquals(100, before.revision());
    controller.persistenceTestKit().clearByIdPreservingSeqNumbers(Controller.PERSISTENCE_ID);

    ControllerState recovered = controller.restart().state();

    assertEquals(before, recovered);
    assertEquals(newDisk(3), recovered.topics().get("orders").partition(0).recordedStorageId(3));
  }

  @Test
  void journalWrittenBeforeStorageIdsRecoversAndTrustsItsMembers() {
    List<Integer> replicas = List.of(1, 2);
    PartitionAssignment legacy = new PartitionAssignment(0, replicas, 1, 0, replicas, null, 0);
    controller
        .persistenceTestKit()
        .persistForRecovery(
            Controller.PERSISTENCE_ID,
            List.of(
                new Event.NodeJoined(1, "node-1", null),
                new Event.NodeJoined(2, "node-2", null),
                new Event.TopicCreated(new TopicMetadata("orders", List.of(legacy))),
                new Event.InSyncSetChanged("orders", 0, 0, List.of(1, 2), null)));
    controller.restart();

    // Nodes of the new version register with their ids; the recorded memberships stay unknown.
    controller.runCommand(new NodeUp(1, "node-1", disk(1)));
    controller.runCommand(new NodeUp(2, "node-2", disk(2)));
    controller.runCommand(new NodeDown(1));

    PartitionAssignment p = partition("orders", 0);
    assertEquals(2, p.leader());
    assertEquals(Map.of(), p.inSyncStorageIds());
  }

  static Stream<Arguments> journalEntriesWithoutTheNewFields() {
    return Stream.of(
        Arguments.of(
            Event.NodeJoined.class,
            Map.of("nodeId", 1, "address", "node-1"),
            new Event.NodeJoined(1, "node-1", null)),
        Arguments.of(
            Event.InSyncSetChanged.class,
            Map.of("topic", "t", "partition", 0, "leaderEpoch", 2, "inSync", List.of(2, 1)),
            new Event.InSyncSetChanged("t", 0, 2, List.of(2, 1), null)),
        Arguments.of(
            PartitionAssignment.class,
            Map.of(
                "partition", 0,
                "replicas", List.of(1, 2),
                "leader", 1,
                "leaderEpoch", 3,
                "inSync", List.of(1, 2)),
            new PartitionAssignment(0, List.of(1, 2), 1, 3, List.of(1, 2), Map.of(), 0)),
        Arguments.of(
            ControllerState.class,
            Map.of("revision", 7, "topics", Map.of(), "liveNodes", Map.of("1", "node-1")),
            new ControllerState(7, Map.of(), Map.of(1, "node-1"), Map.of())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("journalEntriesWithoutTheNewFields")
  void journalEntriesWrittenBeforeStorageIdsAndVersionsStillDeserialize(
      Class<?> type, Map<String, Object> oldFields, Object expected) throws Exception {
    ActorSystem<?> system = testKit.system();
    byte[] oldBytes =
        JacksonObjectMapperProvider.get(Adapter.toClassic(system))
            .getOrCreate("jackson-cbor", Optional.empty())
            .writeValueAsBytes(oldFields);
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    int serializerId = serialization.findSerializerFor(expected).identifier();

    Object read = serialization.deserialize(oldBytes, serializerId, type.getName()).get();

    assertEquals(expected, read);
  }

  @Test
  void subscribersReceiveTheSnapshotNowAndAfterEveryChange() {
    TestProbe<MetadataSnapshot> subscriber = testKit.createTestProbe();

    controller.runCommand(new Controller.Subscribe(subscriber.ref()));
    assertEquals(ControllerState.empty().toSnapshot(), subscriber.receiveMessage());

    nodesUp(1);
    MetadataSnapshot afterNode = subscriber.receiveMessage();
    assertEquals(Map.of(1, "node-1"), afterNode.liveNodes());

    TopicMetadata topic = created("orders", 1, 1);
    MetadataSnapshot afterTopic = subscriber.receiveMessage();
    assertEquals(List.of(topic), afterTopic.topics());
    assertTrue(afterTopic.revision() > afterNode.revision());
  }

  @Test
  void stoppedSubscriberIsDropped() {
    TestProbe<MetadataSnapshot> probe = testKit.createTestProbe();
    ActorRef<MetadataSnapshot> subscriber =
        testKit.spawn(
            Behaviors.receiveMessage(
                snapshot -> {
                  probe.ref().tell(snapshot);
                  return Behaviors.same();
                }));
    controller.runCommand(new Controller.Subscribe(subscriber));
    probe.receiveMessage();

    LoggingTestKit.info("Dropped metadata subscriber")
        .expect(
            testKit.system(),
            () -> {
              testKit.stop(subscriber);
              return null;
            });
  }
}
