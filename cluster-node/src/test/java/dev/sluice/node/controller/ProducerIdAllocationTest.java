package dev.sluice.node.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sluice.config.ControllerSettings;
import dev.sluice.node.controller.Controller.AllocateProducerIds;
import dev.sluice.node.controller.Controller.Event;
import dev.sluice.node.controller.Controller.ProducerIdBlock;
import dev.sluice.node.controller.Controller.ProducerIdsRejected;
import dev.sluice.node.controller.Controller.ProducerIdsReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Producer id blocks handed out by the controller: consecutive and never overlapping, journaled
 * before they are answered, and recovered from events or a snapshot, so a controller that restarts
 * or moves goes on after the last block. Runs on the in-memory journal of the
 * EventSourcedBehaviorTestKit, which round-trips every command, event and state through the
 * configured (Jackson CBOR) serializer; {@code ControllerJdbcTest} does the same on the H2 file.
 */
class ProducerIdAllocationTest {
  private static final Config CONFIG =
      ConfigFactory.parseString(
              "pekko.actor.serialization-bindings {\n"
                  + "  \"dev.sluice.node.controller.ControllerSerializable\" = jackson-cbor\n"
                  + "}")
          .withFallback(EventSourcedBehaviorTestKit.config());

  private static final ActorTestKit testKit =
      ActorTestKit.create("ProducerIdAllocationTest", CONFIG);

  private EventSourcedBehaviorTestKit<Controller.Command, Event, ControllerState> controller;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void freshController() {
    controller =
        EventSourcedBehaviorTestKit.create(
            testKit.system(), Controller.create(ElectionPolicy.CLEAN_ONLY));
    controller.clear();
  }

  @Test
  void blocksFollowEachOtherFromZeroAndAreJournaledBeforeTheAnswer() {
    CommandResultWithReply<Controller.Command, Event, ControllerState, ProducerIdsReply> first =
        allocate(10);
    assertEquals(new ProducerIdBlock(0, 10), first.reply());
    assertEquals(new Event.ProducerIdsAllocated(0, 10), first.event());
    assertEquals(10, first.state().nextProducerId());

    assertEquals(new ProducerIdBlock(10, 1), allocate(1).reply());
    assertEquals(new ProducerIdBlock(11, 1000), allocate(1000).reply());
    assertEquals(1011, controller.getState().nextProducerId());
  }

  @Test
  void blocksNeverOverlapAcrossRecoveryFromEvents() {
    List<ProducerIdBlock> blocks = new ArrayList<>();
    blocks.add(block(allocate(7)));
    blocks.add(block(allocate(3)));
    ControllerState before = controller.getState();

    ControllerState recovered = controller.restart().state();

    assertEquals(before, recovered);
    blocks.add(block(allocate(5)));
    assertDisjointAndConsecutive(blocks);
    assertEquals(15, controller.getState().nextProducerId());
  }

  @Test
  void blocksNeverOverlapAcrossRecoveryFromASnapshotAlone() {
    List<ProducerIdBlock> blocks = new ArrayList<>();
    // 100 events: exactly one snapshot, at sequence number 100.
    for (int i = 0; i < 100; i++) {
      blocks.add(block(allocate(2)));
    }
    assertEquals(
        1,
        controller
            .snapshotTestKit()
            .orElseThrow()
            .persistedInStorage(Controller.PERSISTENCE_ID)
            .size());
    // Without the events, only the snapshot can bring the next producer id back.
    controller.persistenceTestKit().clearByIdPreservingSeqNumbers(Controller.PERSISTENCE_ID);

    assertEquals(200, controller.restart().state().nextProducerId());
    blocks.add(block(allocate(2)));
    assertDisjointAndConsecutive(blocks);
  }

  @Test
  void aBlockOutOfRangeIsRejectedAndPersistsNothing() {
    allocate(4);
    for (int count : new int[] {0, -1, ControllerSettings.MAX_PRODUCER_ID_BLOCK + 1}) {
      CommandResultWithReply<Controller.Command, Event, ControllerState, ProducerIdsReply> r =
          allocate(count);
      assertTrue(r.hasNoEvents(), "count " + count);
      ProducerIdsRejected rejected = assertInstanceOf(ProducerIdsRejected.class, r.reply());
      assertTrue(
          rejected.message().contains(String.valueOf(count))
              && rejected
                  .message()
                  .contains(String.valueOf(ControllerSettings.MAX_PRODUCER_ID_BLOCK)),
          rejected.message());
    }
    assertEquals(new ProducerIdBlock(4, 1), allocate(1).reply());
  }

  @Test
  void theLastIdsAreHandedOutButNeverPastTheLargestLong() {
    ControllerState nearlyOut =
        new ControllerState(3, Map.of(), Map.of(), Map.of(), List.of(), Long.MAX_VALUE - 10);

    assertEquals(
        new Event.ProducerIdsAllocated(Long.MAX_VALUE - 10, 10),
        nearlyOut.allocateProducerIds(10, 100));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> nearlyOut.allocateProducerIds(11, 100));
    assertTrue(e.getMessage().contains("run out of producer ids"), e.getMessage());
  }

  @Test
  void applyingABlockNeverMovesTheNextIdBack() {
    ControllerState state =
        ControllerState.empty()
            .apply(new Event.ProducerIdsAllocated(0, 50))
            .apply(new Event.ProducerIdsAllocated(10, 5));

    assertEquals(50, state.nextProducerId());
    assertEquals(2, state.revision());
  }

  @Test
  void aSnapshotWrittenBeforeProducerIdsExistedStartsTheIdsAtZero() throws Exception {
    var system = Adapter.toClassic(testKit.system());
    Map<String, Object> oldFields =
        Map.of(
            "revision", 9,
            "topics", Map.of(),
            "liveNodes", Map.of("1", "node-1"),
            "storageIds", Map.of("1", "disk-1"),
            "deletedTopics", List.of());
    byte[] oldBytes =
        JacksonObjectMapperProvider.get(system)
            .getOrCreate("jackson-cbor", Optional.empty())
            .writeValueAsBytes(oldFields);
    Serialization serialization = SerializationExtension.get(system);
    int serializerId = serialization.findSerializerFor(ControllerState.empty()).identifier();

    ControllerState read =
        (ControllerState)
            serialization
                .deserialize(oldBytes, serializerId, ControllerState.class.getName())
                .get();

    assertEquals(0, read.nextProducerId());
    assertEquals(9, read.revision());
    assertEquals(new Event.ProducerIdsAllocated(0, 3), read.allocateProducerIds(3, 10));
  }

  // ---- helpers ----

  private CommandResultWithReply<Controller.Command, Event, ControllerState, ProducerIdsReply>
      allocate(int count) {
    return controller.runCommand(replyTo -> new AllocateProducerIds(count, replyTo));
  }

  private static ProducerIdBlock block(
      CommandResultWithReply<Controller.Command, Event, ControllerState, ProducerIdsReply> r) {
    return assertInstanceOf(ProducerIdBlock.class, r.reply());
  }

  /** Each block starts where the previous one ended: no id twice, none skipped. */
  private static void assertDisjointAndConsecutive(List<ProducerIdBlock> blocks) {
    long next = 0;
    for (ProducerIdBlock b : blocks) {
      assertEquals(next, b.firstId(), "blocks " + blocks);
      next = b.firstId() + b.count();
    }
  }
}
