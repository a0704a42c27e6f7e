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
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
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
    controller = EventSourcedBehaviorTestKit.create(testKit.system(), Controller.create());
    controller.clear();
  }

  private void nodesUp(int... nodeIds) {
    for (int id : nodeIds) {
      controller.runCommand(new NodeUp(id, "node-" + id));
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
            replyTo -> new UpdateInSyncSet(topic, partition, epoch, isr, replyTo))
        .reply();
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

    var back = controller.runCommand(new NodeUp(leader, "node-" + leader + "-restarted"));

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
            replyTo -> new UpdateInSyncSet("orders", 0, 0, List.of(oldLeader), replyTo));

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
            replyTo -> new UpdateInSyncSet("orders", 0, 0, List.of(f1, leader), replyTo));
    assertEquals(
        List.of(new Event.InSyncSetChanged("orders", 0, 0, List.of(leader, f1))), shrink.events());
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

    assertTrue(controller.runCommand(new NodeUp(1, "node-1")).hasNoEvents());
    assertTrue(controller.runCommand(new NodeDown(9)).hasNoEvents());
  }

  @Test
  void syncLiveNodesFailsOverNodesThatDiedUnheard() {
    nodesUp(1, 2, 3);
    created("orders", 3, 2);

    controller.runCommand(
        new Controller.SyncLiveNodes(Map.of(2, "node-2", 3, "node-3", 4, "node-4")));

    ControllerState state = controller.getState();
    assertEquals(Map.of(2, "node-2", 3, "node-3", 4, "node-4"), state.liveNodes());
    for (PartitionAssignment p : state.topics().get("orders").partitions()) {
      assertTrue(p.leader() != 1, p.toString());
      assertFalse(p.inSync().contains(1), p.toString());
    }
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

    controller.runCommand(new Controller.Unsubscribe(subscriber.ref()));
    nodesUp(2);
    subscriber.expectNoMessage(Duration.ofMillis(200));
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
