package dev.sluice.replication.leader;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.Compression;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.log.AppendInfo;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.producer.ProducerError;
import dev.sluice.log.producer.ProducerStateException;
import dev.sluice.log.testing.RecordingSyncer;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partition leader's answers to an idempotent producer, against a real log ({@code flush =
 * every-batch}) whose forces the test can hold: an append that the log reports as a duplicate is
 * answered with the original offsets under the flush rule of every append and is not counted as a
 * new write; one that breaks a producer sequence rule is refused with the rule. The log side (the
 * producer-state table) is stood in for by appends that return {@link AppendInfo#duplicateOf} or
 * throw {@link ProducerStateException}. Node 1 leads; 2 and 3 follow.
 */
class PartitionLeaderIdempotenceTest {
  static final ActorTestKit testKit =
      ActorTestKit.create("PartitionLeaderIdempotenceTest", ManualTime.config());
  static final List<Integer> ALL = List.of(1, 2, 3);
  static final Duration WAIT = Duration.ofSeconds(10);
  static final int EPOCH = 3;

  static final ManualTime manualTime = ManualTime.get(testKit.system());

  @TempDir Path dir;
  final AtomicLong views = new AtomicLong();
  final AtomicInteger roundTrips = new AtomicInteger();
  final RecordingSyncer syncer = new RecordingSyncer();
  ExecutorService flushPool;
  PartitionLog log;
  ActorRef<PartitionLeader.Command> leader;

  @BeforeEach
  void start() throws IOException {
    flushPool = Executors.newCachedThreadPool();
    log =
        PartitionLog.open(
            dir.resolve("t-0"), StorageSettings.of(1 << 20, 1 << 20), Clock.systemUTC(), syncer);
    LeaderSettings settings =
        new LeaderSettings(1, 2, Duration.ofSeconds(10), Duration.ofSeconds(1), WAIT);
    LeaderCounters counters = new LeaderCounters();
    counters.onRoundTrip(nanos -> roundTrips.incrementAndGet());
    leader =
        testKit.spawn(
            PartitionLeader.create(
                new PartitionLeader.Setup(
                    new PartitionId("t", 0),
                    log,
                    settings,
                    (epoch, base, inSync) -> new CompletableFuture<>(),
                    v -> views.incrementAndGet(),
                    new ChangeSignal(),
                    counters,
                    Optional::empty,
                    System::nanoTime,
                    settings::minInSyncReplicas,
                    flushPool)));
    leader.tell(new PartitionLeader.Lead(EPOCH, ALL, ALL, 1));
  }

  @AfterEach
  void stop() throws IOException {
    syncer.release();
    testKit.stop(leader);
    log.close();
    flushPool.shutdownNow();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aRetryOfAFlushedBatchIsAnsweredAtOnceWithTheOriginalOffsets() {
    appended(append(records(3)));
    int forces = syncer.forces();

    PartitionLeader.Appended retry = appended(append(duplicateOf(0, 2)));
    assertEquals(AppendInfo.duplicateOf(0, 2, 3), retry.info());
    assertTrue(retry.info().duplicate());
    assertEquals(EPOCH, retry.leaderEpoch());
    assertEquals(3, log.logEndOffset(), "a duplicate writes nothing");
    barrier();
    assertEquals(forces, syncer.forces(), "nothing new to force for a duplicate");
  }

  @Test
  void aRetryOfABatchNotYetFlushedWaitsForTheFlushThatCoversTheOriginal() {
    syncer.block();
    TestProbe<PartitionLeader.AppendReply> original = append(records(2));
    awaitCondition(() -> syncer.waiting() == 1, "the original's flush holding its force");
    TestProbe<PartitionLeader.AppendReply> retry = append(duplicateOf(0, 1));
    barrier();
    original.expectNoMessage(Duration.ZERO);
    retry.expectNoMessage(Duration.ZERO);

    syncer.release();
    PartitionLeader.Appended first = appended(original);
    assertFalse(first.info().duplicate());
    PartitionLeader.Appended second = appended(retry);
    assertTrue(second.info().duplicate());
    assertEquals(first.info().baseOffset(), second.info().baseOffset());
    assertEquals(first.info().lastOffset(), second.info().lastOffset());
    assertEquals(2, log.logEndOffset());
  }

  @Test
  void aDuplicateIsNotTimedAsAReplicationRoundTrip() {
    appended(append(records(1)));
    appended(append(duplicateOf(0, 0)));
    appended(append(duplicateOf(0, 0)));

    handled(new PartitionLeader.FollowerReport(2, 1));
    assertEquals(1, roundTrips.get(), "one batch written, so one round trip of follower 2");
  }

  @Test
  void aDuplicateWaitsForTheCommitOfItsOffsetsLikeAnyAppend() {
    appended(append(records(1)));
    appended(append(duplicateOf(0, 0)));
    TestProbe<PartitionLeader.CommitReply> commit = testKit.createTestProbe();
    leader.tell(new PartitionLeader.AwaitCommit(0, commit.getRef()));
    handled(new PartitionLeader.FollowerReport(2, 1));
    commit.expectNoMessage(Duration.ZERO);

    handled(new PartitionLeader.FollowerReport(3, 1));
    assertEquals(new PartitionLeader.Committed(0, 1), commit.receiveMessage(WAIT));
  }

  @Test
  void anOutOfOrderSequenceIsRefusedWithTheExpectedSequence() {
    appended(append(records(1)));
    String message = "batch of producer 7 at base sequence 9; expected 5 (injected)";
    PartitionLeader.AppendRefused refused =
        refused(
            append(
                breaking(
                    new ProducerStateException(
                        ProducerError.OUT_OF_ORDER_SEQUENCE, 7, OptionalInt.of(5), message))));

    assertEquals(PartitionLeader.Refusal.PRODUCER_STATE, refused.reason());
    assertEquals(message, refused.message());
    assertEquals(
        Optional.of(
            new PartitionLeader.ProducerRejection(
                ProducerError.OUT_OF_ORDER_SEQUENCE, 7, OptionalInt.of(5))),
        refused.producer());
    assertEquals(1, log.logEndOffset());
  }

  @Test
  void anUnknownProducerIsRefusedWithoutAnExpectedSequenceAndTheLeaderGoesOn() {
    PartitionLeader.AppendRefused refused =
        refused(
            append(
                breaking(
                    new ProducerStateException(
                        ProducerError.UNKNOWN_PRODUCER_ID,
                        42,
                        OptionalInt.empty(),
                        "producer 42 unknown (injected)"))));

    assertEquals(PartitionLeader.Refusal.PRODUCER_STATE, refused.reason());
    PartitionLeader.ProducerRejection rejection = refused.producer().orElseThrow();
    assertEquals(ProducerError.UNKNOWN_PRODUCER_ID, rejection.error());
    assertEquals(42, rejection.producerId());
    assertTrue(rejection.expectedSequence().isEmpty());
    assertEquals(0, log.logEndOffset());
    assertEquals(0, appended(append(records(1))).info().baseOffset(), "still leading");
  }

  @Test
  void onlyAProducerStateRefusalCarriesProducerDetails() {
    PartitionLeader.ProducerRejection rejection =
        new PartitionLeader.ProducerRejection(
            ProducerError.PRODUCER_FENCED, 1, OptionalInt.empty());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new PartitionLeader.AppendRefused(
                PartitionLeader.Refusal.INVALID, "m", Optional.of(rejection)));
    assertThrows(
        IllegalArgumentException.class,
        () -> new PartitionLeader.AppendRefused(PartitionLeader.Refusal.PRODUCER_STATE, "m"));
    assertEquals(
        Optional.empty(),
        new PartitionLeader.AppendRefused(PartitionLeader.Refusal.INVALID, "m").producer());
  }

  @Test
  void anAppendThatReachesAClosedLogIsRefusedAsNotLeadingNotAsAStorageFailure() throws IOException {
    appended(append(records(1)));
    log.close();

    PartitionLeader.AppendRefused refused = refused(append(records(1)));
    assertEquals(PartitionLeader.Refusal.NOT_LEADER, refused.reason());
    assertTrue(refused.message().contains("the log is closed"), refused.message());
  }

  // ---- batches that overtook an earlier one of their producer ----

  @Test
  void aBatchThatOvertookItsPredecessorIsHeldThenAppendedRightAfterIt() {
    TestProbe<PartitionLeader.AppendReply> second = appendInOrder(PID, 2, 2, HOLD);
    barrier();
    second.expectNoMessage(Duration.ZERO);
    assertEquals(0, log.logEndOffset(), "nothing written while it waits");

    PartitionLeader.Appended first = appended(appendInOrder(PID, 0, 2, HOLD));
    assertEquals(0, first.info().baseOffset());
    PartitionLeader.Appended after = appended(second);
    assertEquals(2, after.info().baseOffset(), "right after its predecessor");
    assertEquals(3, after.info().lastOffset());
    assertFalse(after.info().duplicate());
    assertEquals(4, log.logEndOffset());
  }

  @Test
  void severalOvertakingBatchesAreAppendedInSequenceOrder() {
    TestProbe<PartitionLeader.AppendReply> third = appendInOrder(PID, 4, 2, HOLD);
    TestProbe<PartitionLeader.AppendReply> second = appendInOrder(PID, 2, 2, HOLD);
    TestProbe<PartitionLeader.AppendReply> otherProducer = appendInOrder(PID + 1, 0, 1, HOLD);
    assertEquals(0, appended(otherProducer).info().baseOffset(), "another producer goes on");

    assertEquals(1, appended(appendInOrder(PID, 0, 2, HOLD)).info().baseOffset());
    assertEquals(3, appended(second).info().baseOffset());
    assertEquals(5, appended(third).info().baseOffset());
    assertEquals(7, log.logEndOffset());
  }

  @Test
  void aHeldBatchWhosePredecessorNeverComesIsRefusedWhenItsHoldEnds() {
    appended(appendInOrder(PID, 0, 2, HOLD));
    TestProbe<PartitionLeader.AppendReply> early = appendInOrder(PID, 4, 1, HOLD);
    barrier();
    manualTime.timePasses(HOLD.minusMillis(1));
    barrier();
    early.expectNoMessage(Duration.ZERO);

    manualTime.timePasses(Duration.ofMillis(1));
    PartitionLeader.AppendRefused refused = refused(early);
    assertEquals(PartitionLeader.Refusal.PRODUCER_STATE, refused.reason());
    assertEquals(
        Optional.of(
            new PartitionLeader.ProducerRejection(
                ProducerError.OUT_OF_ORDER_SEQUENCE, PID, OptionalInt.of(2))),
        refused.producer());
    assertEquals(2, log.logEndOffset());
    assertEquals(2, appended(appendInOrder(PID, 2, 1, HOLD)).info().baseOffset(), "goes on");
  }

  @Test
  void withoutAHoldOrBehindTheSequenceABatchIsRefusedAtOnce() {
    appended(appendInOrder(PID, 0, 2, HOLD));
    PartitionLeader.AppendRefused ahead =
        refused(append(producerBatch(PID, 5, 1))); // no InOrder: answered at once
    assertEquals(OptionalInt.of(2), ahead.producer().orElseThrow().expectedSequence());

    PartitionLeader.AppendRefused behind = refused(appendInOrder(PID, 1, 1, HOLD));
    assertEquals(
        ProducerError.OUT_OF_ORDER_SEQUENCE,
        behind.producer().orElseThrow().error(),
        "behind the expected sequence: can never fit");
    assertEquals(2, log.logEndOffset());
  }

  @Test
  void atMostFiveBatchesOfAProducerAreHeld() {
    appended(appendInOrder(PID, 0, 1, HOLD));
    List<TestProbe<PartitionLeader.AppendReply>> heldOnes = new java.util.ArrayList<>();
    for (int seq = 2; seq < 2 + PartitionLeader.MAX_HELD_PER_PRODUCER; seq++) {
      heldOnes.add(appendInOrder(PID, seq, 1, HOLD));
    }
    PartitionLeader.AppendRefused sixth =
        refused(appendInOrder(PID, 2 + PartitionLeader.MAX_HELD_PER_PRODUCER, 1, HOLD));
    assertEquals(OptionalInt.of(1), sixth.producer().orElseThrow().expectedSequence());
    for (TestProbe<PartitionLeader.AppendReply> h : heldOnes) {
      h.expectNoMessage(Duration.ZERO);
    }

    appended(appendInOrder(PID, 1, 1, HOLD));
    for (int i = 0; i < heldOnes.size(); i++) {
      assertEquals(2 + i, appended(heldOnes.get(i)).info().baseOffset());
    }
  }

  @Test
  void heldBatchesKeepAtMostMaxHeldBytesAndAnAnsweredOneFreesItsShare() {
    Duration long_ = Duration.ofMinutes(1); // held until released, never by its timer here
    long most = PartitionLeader.MAX_HELD_BYTES;
    appended(appendInOrder(PID, 0, 1, long_));
    TestProbe<PartitionLeader.AppendReply> big = appendInOrder(PID, 2, 1, long_, most - 10);
    // Another producer's batch ahead of its first one would be held too, but not over the bound:
    PartitionLeader.AppendRefused over = refused(appendInOrder(PID + 1, 5, 1, long_, 11));
    assertEquals(ProducerError.UNKNOWN_PRODUCER_ID, over.producer().orElseThrow().error());
    TestProbe<PartitionLeader.AppendReply> fits = appendInOrder(PID + 1, 5, 1, long_, 10);
    barrier();
    big.expectNoMessage(Duration.ZERO);
    fits.expectNoMessage(Duration.ZERO);

    appended(appendInOrder(PID, 1, 1, long_));
    assertEquals(2, appended(big).info().baseOffset(), "released after its predecessor");
    TestProbe<PartitionLeader.AppendReply> again = appendInOrder(PID + 2, 5, 1, long_, most - 10);
    barrier();
    again.expectNoMessage(Duration.ZERO); // the released batch's bytes are free again
    fits.expectNoMessage(Duration.ZERO);
  }

  @Test
  void heldBatchesAreRefusedUnwrittenWhenTheLeaderResigns() {
    appended(appendInOrder(PID, 0, 1, HOLD));
    TestProbe<PartitionLeader.AppendReply> early = appendInOrder(PID, 3, 1, HOLD);
    barrier();

    leader.tell(new PartitionLeader.Resign(EPOCH + 1, 2));
    PartitionLeader.AppendRefused refused = refused(early);
    assertEquals(PartitionLeader.Refusal.NOT_LEADER, refused.reason());
    assertTrue(refused.message().endsWith("the batch was not written"), refused.message());
    assertEquals(1, log.logEndOffset());
  }

  @Test
  void onlyABatchAheadOfTheExpectedSequenceArrivedEarly() {
    PartitionLeader.InOrder at12 = new PartitionLeader.InOrder(17, 12, HOLD, 0);
    ProducerStateException gap =
        new ProducerStateException(ProducerError.OUT_OF_ORDER_SEQUENCE, 17, OptionalInt.of(8), "g");
    assertTrue(PartitionLeader.arrivedEarly(gap, at12));
    assertFalse(
        PartitionLeader.arrivedEarly(gap, new PartitionLeader.InOrder(17, 3, HOLD, 0)),
        "behind the expected sequence: never fits");
    assertFalse(
        PartitionLeader.arrivedEarly(
            new ProducerStateException(
                ProducerError.OUT_OF_ORDER_SEQUENCE, 17, OptionalInt.empty(), "g"),
            at12));
    assertFalse(
        PartitionLeader.arrivedEarly(
            new ProducerStateException(ProducerError.PRODUCER_FENCED, 17, OptionalInt.of(8), "f"),
            at12));
    ProducerStateException unknown =
        new ProducerStateException(ProducerError.UNKNOWN_PRODUCER_ID, 17, OptionalInt.empty(), "u");
    assertTrue(PartitionLeader.arrivedEarly(unknown, at12), "the batch from sequence 0 may come");
    assertFalse(
        PartitionLeader.arrivedEarly(unknown, new PartitionLeader.InOrder(17, 0, HOLD, 0)),
        "sequence 0 itself was refused");
    assertThrows(
        IllegalArgumentException.class, () -> new PartitionLeader.InOrder(17, -1, HOLD, 0));
    assertThrows(
        IllegalArgumentException.class, () -> new PartitionLeader.InOrder(17, 1, HOLD, -1));
  }

  // ---- helpers ----

  private static final long PID = 4711;
  private static final short PRODUCER_EPOCH = 0;
  private static final Duration HOLD = Duration.ofMillis(250);

  /** A real idempotent batch of {@code count} records of {@code pid} from {@code firstSeq}. */
  private static AppendOp producerBatch(long pid, int firstSeq, int count) {
    List<Record> records =
        java.util.stream.IntStream.range(0, count)
            .mapToObj(i -> Record.of(null, new byte[] {(byte) i}, TIMESTAMP))
            .toList();
    return (l, epoch) ->
        l.appendProducerBatch(
            MemoryBatchBuilder.build(records, Compression.NONE, pid, PRODUCER_EPOCH, firstSeq),
            epoch);
  }

  private TestProbe<PartitionLeader.AppendReply> appendInOrder(
      long pid, int firstSeq, int count, Duration hold) {
    return appendInOrder(pid, firstSeq, count, hold, 0);
  }

  /** As the produce handler sends it, saying the batch keeps {@code heldBytes} while held. */
  private TestProbe<PartitionLeader.AppendReply> appendInOrder(
      long pid, int firstSeq, int count, Duration hold, long heldBytes) {
    TestProbe<PartitionLeader.AppendReply> probe = testKit.createTestProbe();
    leader.tell(
        new PartitionLeader.Append(
            producerBatch(pid, firstSeq, count),
            false,
            probe.getRef(),
            Optional.of(new PartitionLeader.InOrder(pid, firstSeq, hold, heldBytes))));
    return probe;
  }

  private static AppendOp records(int count) {
    byte[] value = "v".getBytes(StandardCharsets.UTF_8);
    List<Record> records =
        java.util.stream.IntStream.range(0, count)
            .mapToObj(i -> Record.of(null, value, TIMESTAMP))
            .toList();
    return (l, epoch) -> l.appendRecords(records, epoch);
  }

  /** What the log answers for a retry of the batch at {@code base..last}. */
  private static AppendOp duplicateOf(long base, long last) {
    return (l, epoch) -> AppendInfo.duplicateOf(base, last, l.logEndOffset());
  }

  private static AppendOp breaking(ProducerStateException e) {
    return (l, epoch) -> {
      throw e;
    };
  }

  private TestProbe<PartitionLeader.AppendReply> append(AppendOp op) {
    TestProbe<PartitionLeader.AppendReply> probe = testKit.createTestProbe();
    leader.tell(new PartitionLeader.Append(op, false, probe.getRef()));
    return probe;
  }

  private static PartitionLeader.Appended appended(TestProbe<PartitionLeader.AppendReply> p) {
    return assertInstanceOf(PartitionLeader.Appended.class, p.receiveMessage(WAIT));
  }

  private static PartitionLeader.AppendRefused refused(TestProbe<PartitionLeader.AppendReply> p) {
    return assertInstanceOf(PartitionLeader.AppendRefused.class, p.receiveMessage(WAIT));
  }

  /**
   * Waits until the leader handled every message sent before: an answer it sent while handling them
   * is then already in its probe.
   */
  private void barrier() {
    handled(new PartitionLeader.FollowerReport(2, 0));
  }

  /** Sends {@code m} and waits until the actor handled it (it publishes a view after each). */
  private void handled(PartitionLeader.Command m) {
    long before = views.get();
    leader.tell(m);
    awaitCondition(() -> views.get() > before, "the leader handled " + m);
  }

  private void awaitCondition(BooleanSupplier condition, String what) {
    testKit
        .createTestProbe()
        .awaitAssert(
            WAIT,
            () -> {
              assertTrue(condition.getAsBoolean(), what);
              return null;
            });
  }
}
