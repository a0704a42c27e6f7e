package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.node.controller.Controller;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A node's producer id supply against a controller played by a probe: ids come from the blocks in
 * order, requests that arrive while a block is asked for wait for it and share it (one ask, no id
 * twice), a block too small for the waiting requests leads to the next ask, and a controller that
 * does not answer fails the waiting requests without losing the next one.
 */
class ProducerIdsActorTest {
  private static final ActorTestKit testKit = ActorTestKit.create("ProducerIdsActorTest");
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Long enough for a loaded machine: the probe answers as soon as the test sees the ask. */
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

  /** For the controller that never answers. */
  private static final Duration SHORT_ASK_TIMEOUT = Duration.ofMillis(300);

  private final TestProbe<Controller.Command> controller = testKit.createTestProbe();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void idsComeFromTheBlockAndTheNextBlockIsAskedForWhenItIsUsedUp() {
    ActorRef<ProducerIds.Command> ids = spawn(2);

    TestProbe<ProducerIds.Reply> first = next(ids);
    answer(allocation(2), 100, 2);
    assertEquals(new ProducerIds.Allocated(100), first.receiveMessage(WAIT));
    assertEquals(new ProducerIds.Allocated(101), next(ids).receiveMessage(WAIT));
    controller.expectNoMessage(Duration.ZERO);

    TestProbe<ProducerIds.Reply> third = next(ids);
    answer(allocation(2), 500, 2);
    assertEquals(new ProducerIds.Allocated(500), third.receiveMessage(WAIT));
  }

  @Test
  void requestsArrivingWhileABlockIsFetchedShareOneAskAndGetDistinctIds() {
    ActorRef<ProducerIds.Command> ids = spawn(3);

    List<TestProbe<ProducerIds.Reply>> waiting = new ArrayList<>();
    waiting.add(next(ids));
    Controller.AllocateProducerIds ask = allocation(3);
    for (int i = 0; i < 4; i++) {
      waiting.add(next(ids));
    }
    answer(ask, 0, 3);
    // Five requests, three ids: the last two wait for the next block.
    answer(allocation(3), 3, 3);

    Set<Long> given = new HashSet<>();
    for (TestProbe<ProducerIds.Reply> p : waiting) {
      ProducerIds.Allocated a =
          assertInstanceOf(ProducerIds.Allocated.class, p.receiveMessage(WAIT));
      assertTrue(given.add(a.producerId()), "id " + a.producerId() + " given twice");
    }
    assertEquals(Set.of(0L, 1L, 2L, 3L, 4L), given);
    assertEquals(new ProducerIds.Allocated(5), next(ids).receiveMessage(WAIT));
    // Any further ask would have been sent before the answers above: there was one per block.
    controller.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aControllerThatDoesNotAnswerFailsTheWaitingRequestsAndTheNextOneAsksAgain() {
    ActorRef<ProducerIds.Command> ids =
        testKit.spawn(ProducerIds.create(controller.ref(), 10, SHORT_ASK_TIMEOUT));

    TestProbe<ProducerIds.Reply> first = next(ids);
    TestProbe<ProducerIds.Reply> second = next(ids);
    allocation(10); // never answered
    for (TestProbe<ProducerIds.Reply> p : List.of(first, second)) {
      ProducerIds.Unavailable u =
          assertInstanceOf(ProducerIds.Unavailable.class, p.receiveMessage(WAIT));
      assertTrue(u.reason().contains("did not answer within 300ms"), u.reason());
    }

    TestProbe<ProducerIds.Reply> later = next(ids);
    answer(allocation(10), 20, 10);
    assertEquals(new ProducerIds.Allocated(20), later.receiveMessage(WAIT));
  }

  @Test
  void aRefusedBlockFailsTheWaitingRequestWithTheControllersReason() {
    ActorRef<ProducerIds.Command> ids = spawn(10);

    TestProbe<ProducerIds.Reply> request = next(ids);
    allocation(10).replyTo().tell(new Controller.ProducerIdsRejected("out of ids (test)"));

    ProducerIds.Unavailable u =
        assertInstanceOf(ProducerIds.Unavailable.class, request.receiveMessage(WAIT));
    assertTrue(u.reason().contains("out of ids (test)"), u.reason());
  }

  // ---- helpers ----

  private ActorRef<ProducerIds.Command> spawn(int blockSize) {
    return testKit.spawn(ProducerIds.create(controller.ref(), blockSize, ASK_TIMEOUT));
  }

  private static TestProbe<ProducerIds.Reply> next(ActorRef<ProducerIds.Command> ids) {
    TestProbe<ProducerIds.Reply> probe = testKit.createTestProbe();
    ids.tell(new ProducerIds.Next(probe.ref()));
    return probe;
  }

  /** The next ask the controller receives, checked to be for a block of {@code count}. */
  private Controller.AllocateProducerIds allocation(int count) {
    Controller.AllocateProducerIds ask =
        controller.expectMessageClass(Controller.AllocateProducerIds.class, WAIT);
    assertEquals(count, ask.count());
    return ask;
  }

  private static void answer(Controller.AllocateProducerIds ask, long firstId, int count) {
    ask.replyTo().tell(new Controller.ProducerIdBlock(firstId, count));
  }
}
