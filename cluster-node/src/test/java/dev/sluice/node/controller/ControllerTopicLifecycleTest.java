package dev.sluice.node.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sluice.config.LeaderBalanceSettings;
import dev.sluice.node.controller.Controller.AddPartitions;
import dev.sluice.node.controller.Controller.AlterTopicConfig;
import dev.sluice.node.controller.Controller.CreateTopic;
import dev.sluice.node.controller.Controller.DeleteTopic;
import dev.sluice.node.controller.Controller.Event;
import dev.sluice.node.controller.Controller.LeaderMove;
import dev.sluice.node.controller.Controller.LeadersMoved;
import dev.sluice.node.controller.Controller.NodeDown;
import dev.sluice.node.controller.Controller.NodeUp;
import dev.sluice.node.controller.Controller.RebalanceLeaders;
import dev.sluice.node.controller.Controller.Status;
import dev.sluice.node.controller.Controller.TopicChangeReply;
import dev.sluice.node.controller.Controller.TopicChanged;
import dev.sluice.node.controller.Controller.TopicCreated;
import dev.sluice.node.controller.Controller.TopicRejected;
import dev.sluice.node.controller.Controller.UpdateInSyncSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The topic lifecycle commands of the controller (delete, add partitions, settings) and the manual
 * preferred-leader rebalance, on the in-memory journal of the EventSourcedBehaviorTestKit: what
 * each persists, what it refuses, and that a restarted controller replays to the same state (the
 * testkit also round-trips every command, event and state through Jackson CBOR).
 */
class ControllerTopicLifecycleTest {

  private static final Config CONFIG =
      ConfigFactory.parseString(
              "pekko.actor.serialization-bindings {\n"
                  + "  \"dev.sluice.node.controller.ControllerSerializable\" = jackson-cbor\n"
                  + "}")
          .withFallback(EventSourcedBehaviorTestKit.config());

  private static final ActorTestKit testKit =
      ActorTestKit.create("ControllerTopicLifecycleTest", CONFIG);

  /** Automatic balance off: these tests decide when leaders move. */
  private static final LeaderBalanceSettings MANUAL = LeaderBalanceSettings.MANUAL;

  private EventSourcedBehaviorTestKit<Controller.Command, Event, ControllerState> controller;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void freshController() {
    controller =
        EventSourcedBehaviorTestKit.create(
            testKit.system(), Controller.create(ElectionPolicy.CLEAN_ONLY, MANUAL));
    controller.clear();
  }

  private void nodesUp(int... nodeIds) {
    for (int id : nodeIds) {
      controller.runCommand(new NodeUp(id, "node-" + id, "disk-" + id));
    }
  }

  private TopicMetadata created(String name, int partitions, int rf, Map<String, String> config) {
    return controller
        .<Controller.CreateTopicReply>runCommand(
            replyTo -> new CreateTopic(name, partitions, rf, config, replyTo))
        .replyOfType(TopicCreated.class)
        .topic();
  }

  private TopicChangeReply delete(String name) {
    return controller
        .<TopicChangeReply>runCommand(replyTo -> new DeleteTopic(name, replyTo))
        .reply();
  }

  private TopicChangeReply addPartitions(String name, int partitions) {
    return controller
        .<TopicChangeReply>runCommand(replyTo -> new AddPartitions(name, partitions, replyTo))
        .reply();
  }

  private TopicChangeReply alter(String name, Map<String, String> config) {
    return controller
        .<TopicChangeReply>runCommand(replyTo -> new AlterTopicConfig(name, config, replyTo))
        .reply();
  }

  private PartitionAssignment partition(String topic, int partition) {
    return controller.getState().topics().get(topic).partition(partition);
  }

  @Test
  void createdTopicGetsAnIdAndKeepsItsSettings() {
    nodesUp(1, 2, 3);

    TopicMetadata a = created("orders", 2, 3, Map.of("retention.bytes", "1MiB"));
    TopicMetadata b = created("audit", 1, 1, Map.of());

    assertNotNull(a.topicId());
    assertNotEquals(a.topicId(), b.topicId());
    assertEquals(Map.of("retention.bytes", "1MiB"), a.config());
    assertEquals(a, controller.getState().topics().get("orders"));
  }

  @Test
  void deleteRemovesTheTopicAndRecordsItForReplicasThatWereAway() {
    nodesUp(1, 2, 3);
    TopicMetadata orders = created("orders", 3, 2, Map.of());

    TopicChangeReply reply = delete("orders");

    assertEquals(new TopicChanged(orders), reply);
    assertFalse(controller.getState().topics().containsKey("orders"));
    assertEquals(
        List.of(new DeletedTopic("orders", orders.topicId(), 3)),
        controller.getState().deletedTopics());
    assertEquals(
        controller.getState().deletedTopics(), controller.getState().toSnapshot().deletedTopics());
  }

  @Test
  void deletingAnUnknownTopicIsNotFoundAndPersistsNothing() {
    nodesUp(1);

    var result = controller.<TopicChangeReply>runCommand(r -> new DeleteTopic("nope", r));

    assertTrue(result.hasNoEvents());
    assertEquals(
        new TopicRejected(Status.NOT_FOUND, "unknown topic nope"),
        result.replyOfType(TopicRejected.class));
  }

  @Test
  void aRecreatedTopicIsANewIncarnationAndBothDeletionsAreRemembered() {
    nodesUp(1, 2);
    TopicMetadata first = created("orders", 1, 2, Map.of());
    delete("orders");
    TopicMetadata second = created("orders", 2, 2, Map.of());
    delete("orders");

    assertNotEquals(first.topicId(), second.topicId());
    assertEquals(
        List.of(
            new DeletedTopic("orders", first.topicId(), 1),
            new DeletedTopic("orders", second.topicId(), 2)),
        controller.getState().deletedTopics());
  }

  @Test
  void addPartitionsPlacesNewOnesLikeANewTopicsAndKeepsTheOldOnes() {
    nodesUp(1, 2, 3);
    TopicMetadata before = created("orders", 2, 2, Map.of());

    TopicChangeReply reply = addPartitions("orders", 5);

    TopicMetadata after = ((TopicChanged) reply).topic();
    assertEquals(5, after.partitions().size());
    assertEquals(before.partitions(), after.partitions().subList(0, 2));
    assertEquals(before.topicId(), after.topicId());
    for (int i = 2; i < 5; i++) {
      PartitionAssignment p = after.partition(i);
      assertEquals(i, p.partition());
      assertEquals(2, p.replicas().stream().distinct().count(), p.toString());
      assertEquals(p.replicas().get(0), p.leader());
      assertEquals(p.replicas(), p.inSync());
      assertEquals(0, p.leaderEpoch());
    }
    assertEquals(after, controller.getState().topics().get("orders"));
  }

  @Test
  void addPartitionsNeverShrinksAndNamesTheCurrentCount() {
    nodesUp(1, 2);
    created("orders", 3, 1, Map.of());

    for (int count : new int[] {3, 2}) {
      var result =
          controller.<TopicChangeReply>runCommand(r -> new AddPartitions("orders", count, r));
      assertTrue(result.hasNoEvents());
      TopicRejected rejected = result.replyOfType(TopicRejected.class);
      assertEquals(Status.BAD_REQUEST, rejected.status());
      assertTrue(rejected.message().contains("has 3 partitions"), rejected.message());
      assertTrue(rejected.message().contains("got " + count), rejected.message());
    }
    assertEquals(
        new TopicRejected(Status.NOT_FOUND, "unknown topic nope"), addPartitions("nope", 9));
  }

  @Test
  void addPartitionsNeedsAsManyLiveNodesAsTheReplicationFactor() {
    nodesUp(1, 2, 3);
    created("orders", 1, 3, Map.of());
    controller.runCommand(new NodeDown(3));

    TopicRejected rejected = (TopicRejected) addPartitions("orders", 2);

    assertEquals(Status.BAD_REQUEST, rejected.status());
    assertTrue(rejected.message().contains("replication factor 3"), rejected.message());
    assertTrue(rejected.message().contains("live nodes (2)"), rejected.message());
  }

  @Test
  void alterReplacesTheSettingsAndAnUnchangedAlterPersistsNothing() {
    nodesUp(1);
    created("orders", 1, 1, Map.of("flush", "os"));

    TopicChangeReply reply = alter("orders", Map.of("retention.bytes", "4MiB"));

    assertEquals(Map.of("retention.bytes", "4MiB"), ((TopicChanged) reply).topic().config());
    assertTrue(
        controller
            .<TopicChangeReply>runCommand(
                r -> new AlterTopicConfig("orders", Map.of("retention.bytes", "4MiB"), r))
            .hasNoEvents());
    assertEquals(
        new TopicRejected(Status.NOT_FOUND, "unknown topic nope"), alter("nope", Map.of()));
  }

  @Test
  void recoveryReplaysDeleteAddAndAlterToTheSameState() {
    nodesUp(1, 2, 3);
    created("orders", 2, 3, Map.of());
    created("audit", 1, 2, Map.of("min-in-sync-replicas", "2"));
    created("gone", 2, 1, Map.of());
    addPartitions("orders", 4);
    alter("audit", Map.of("retention.time", "1h"));
    delete("gone");
    created("gone", 1, 1, Map.of());
    ControllerState before = controller.getState();

    ControllerState recovered = controller.restart().state();

    assertEquals(before, recovered);
    assertEquals(before.toSnapshot(), recovered.toSnapshot());
  }

  @Test
  void manualRebalanceMovesLeadersBackToInSyncPreferredReplicasOnly() {
    nodesUp(1, 2, 3);
    TopicMetadata t = created("orders", 3, 3, Map.of());
    int preferred = t.partition(0).replicas().get(0);
    // The preferred replica of partition 0 leaves: another replica leads.
    controller.runCommand(new NodeDown(preferred));
    PartitionAssignment failedOver = partition("orders", 0);
    assertNotEquals(preferred, failedOver.leader());
    // Back, but not yet in sync: nothing moves.
    controller.runCommand(new NodeUp(preferred, "node-" + preferred, "disk-" + preferred));
    LeadersMoved none =
        controller.<LeadersMoved>runCommand(RebalanceLeaders::new).replyOfType(LeadersMoved.class);
    assertEquals(List.of(), none.moves());

    // The leader re-admits it to the in-sync set.
    PartitionAssignment p = partition("orders", 0);
    List<Integer> all = p.replicas();
    controller.<Controller.InSyncSetReply>runCommand(
        replyTo -> new UpdateInSyncSet("orders", 0, p.leaderEpoch(), p.version(), all, replyTo));
    var result = controller.<LeadersMoved>runCommand(RebalanceLeaders::new);

    LeadersMoved moved = result.replyOfType(LeadersMoved.class);
    assertEquals(
        List.of(
            new LeaderMove(
                "orders", 0, failedOver.leader(), preferred, failedOver.leaderEpoch() + 1)),
        moved.moves());
    PartitionAssignment now = partition("orders", 0);
    assertEquals(preferred, now.leader());
    assertEquals(failedOver.leaderEpoch() + 1, now.leaderEpoch());
    assertEquals(all, now.inSync());
    // Done: a second rebalance has nothing to do.
    assertTrue(controller.<LeadersMoved>runCommand(RebalanceLeaders::new).hasNoEvents());
  }

  @Test
  void journalEntriesWrittenBeforeTopicIdsStillDeserialize() throws Exception {
    ActorSystem<?> system = testKit.system();
    Map<String, Object> oldTopic =
        Map.of(
            "name",
            "t",
            "partitions",
            List.of(
                Map.of(
                    "partition", 0,
                    "replicas", List.of(1),
                    "leader", 1,
                    "leaderEpoch", 0,
                    "inSync", List.of(1))));
    byte[] oldBytes =
        JacksonObjectMapperProvider.get(Adapter.toClassic(system))
            .getOrCreate("jackson-cbor", Optional.empty())
            .writeValueAsBytes(oldTopic);
    TopicMetadata expected =
        new TopicMetadata(
            "t", List.of(new PartitionAssignment(0, List.of(1), 1, 0, List.of(1), Map.of(), 0)));
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    int serializerId = serialization.findSerializerFor(expected).identifier();

    Object read =
        serialization.deserialize(oldBytes, serializerId, TopicMetadata.class.getName()).get();

    assertEquals(expected, read);
    assertEquals(null, ((TopicMetadata) read).topicId());
    assertEquals(Map.of(), ((TopicMetadata) read).config());
  }
}
