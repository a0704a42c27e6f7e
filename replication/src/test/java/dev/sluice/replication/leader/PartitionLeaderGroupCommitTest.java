package dev.sluice.replication.leader;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.RecordingSyncer;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
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
 * Group commit in the partition leader, against a real log ({@code flush = every-batch}) whose
 * forces go through a {@link RecordingSyncer} the test can hold: replies wait for the force that
 * covers them, the high watermark never passes the leader's durable end, appends made during a
 * force share the next one, and a failed force refuses every waiter. Node 1 leads; 2 and 3 follow.
 */
class PartitionLeaderGroupCommitTest {
  static final ActorTestKit testKit =
      ActorTestKit.create("PartitionLeaderGroupCommitTest", ManualTime.config());
  static final List<Integer> ALL = List.of(1, 2, 3);
  static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  final AtomicLong views = new AtomicLong();
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
    leader =
        testKit.spawn(
            PartitionLeader.create(
                new PartitionLeader.Setup(
                    new PartitionId("t", 0),
                    log,
                    settings,
                    (epoch, base, inSync) -> new java.util.concurrent.CompletableFuture<>(),
                    v -> views.incrementAndGet(),
                    new ChangeSignal(),
                    new LeaderCounters(),
                    Optional::empty,
                    System::nanoTime,
                    settings::minInSyncReplicas,
                    flushPool)));
    leader.tell(new PartitionLeader.Lead(3, ALL, ALL, 1));
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
  void anAcksLeaderAppendIsAnsweredOnlyOnceAForceCoversIt() {
    syncer.block();
    TestProbe<PartitionLeader.AppendReply> probe = append();
    awaitCondition(() -> syncer.waiting() == 1, "the flush of the append holding its force");
    assertEquals(1, log.logEndOffset());
    assertEquals(0, log.flushedOffset());
    barrier();
    probe.expectNoMessage(Duration.ZERO);

    syncer.release();
    PartitionLeader.Appended a =
        assertInstanceOf(PartitionLeader.Appended.class, probe.receiveMessage(WAIT));
    assertEquals(0, a.info().baseOffset());
    assertEquals(1, syncer.forces());
    assertTrue(syncer.forcedSize(activeSegment()) >= a.info().sizeInBytes());
    assertEquals(1, log.flushedOffset());
  }

  @Test
  void aResignBeforeTheForceAnswersWrittenButNotAcknowledged() {
    syncer.block();
    TestProbe<PartitionLeader.AppendReply> probe = append();
    awaitCondition(() -> syncer.waiting() == 1, "the flush of the append holding its force");

    leader.tell(new PartitionLeader.Resign(4, 2));
    PartitionLeader.AppendRefused refused =
        assertInstanceOf(PartitionLeader.AppendRefused.class, probe.receiveMessage(WAIT));
    assertEquals(PartitionLeader.Refusal.NOT_ACKNOWLEDGED, refused.reason());
    assertTrue(refused.message().startsWith("written at offset 0"), refused.message());
    assertTrue(refused.message().contains("may or may not be kept"), refused.message());
  }

  @Test
  void appendsMadeDuringAForceAreCoveredByOneFollowingForce() {
    syncer.block();
    TestProbe<PartitionLeader.AppendReply> first = append();
    awaitCondition(() -> syncer.waiting() == 1, "the first append's flush holding its force");
    List<TestProbe<PartitionLeader.AppendReply>> group = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      group.add(append());
    }
    awaitCondition(() -> log.logEndOffset() == 6, "the leader wrote the group");
    // The log end moves inside the append's handling, before a premature answer would be sent.
    barrier();
    for (TestProbe<PartitionLeader.AppendReply> p : group) {
      p.expectNoMessage(Duration.ZERO);
    }
    assertEquals(0, syncer.forces());

    syncer.release();
    assertInstanceOf(PartitionLeader.Appended.class, first.receiveMessage(WAIT));
    for (TestProbe<PartitionLeader.AppendReply> p : group) {
      assertInstanceOf(PartitionLeader.Appended.class, p.receiveMessage(WAIT));
    }
    assertEquals(2, syncer.forces(), "one force for the first append, one for the group");
    assertEquals(6, log.flushedOffset());
  }

  @Test
  void theHighWatermarkWaitsForTheLeadersOwnForce() {
    syncer.block();
    TestProbe<PartitionLeader.AppendReply> appendProbe = append();
    awaitCondition(() -> syncer.waiting() == 1, "the append's flush holding its force");
    TestProbe<PartitionLeader.CommitReply> commit = testKit.createTestProbe();
    leader.tell(new PartitionLeader.AwaitCommit(0, commit.getRef()));
    // Both followers hold offset 0 durably; the leader does not yet.
    handled(new PartitionLeader.FollowerReport(2, 1));
    handled(new PartitionLeader.FollowerReport(3, 1));
    assertEquals(0, log.highWatermark());
    commit.expectNoMessage(Duration.ZERO);

    syncer.release();
    assertInstanceOf(PartitionLeader.Appended.class, appendProbe.receiveMessage(WAIT));
    assertEquals(new PartitionLeader.Committed(0, 1), commit.receiveMessage(WAIT));
    assertEquals(1, log.highWatermark());
    assertTrue(log.highWatermark() <= log.flushedOffset());
  }

  @Test
  void aFailedForceRefusesEveryWaiterAndTheLeaderGoesIdle() {
    syncer.block();
    TestProbe<PartitionLeader.AppendReply> probe = append();
    awaitCondition(() -> syncer.waiting() == 1, "the append's flush holding its force");
    TestProbe<PartitionLeader.AppendReply> second = append();
    awaitCondition(() -> log.logEndOffset() == 2, "the second append written, waiting");
    TestProbe<PartitionLeader.CommitReply> commit = testKit.createTestProbe();
    leader.tell(new PartitionLeader.AwaitCommit(0, commit.getRef()));
    syncer.failFromNowOn(new IOException("EIO (injected)"));
    syncer.release();

    PartitionLeader.AppendRefused refused =
        assertInstanceOf(PartitionLeader.AppendRefused.class, probe.receiveMessage(WAIT));
    assertEquals(PartitionLeader.Refusal.STORAGE_ERROR, refused.reason());
    assertTrue(
        refused.message().startsWith("written at offset 0 but not acknowledged: fsync of "),
        refused.message());
    assertTrue(refused.message().contains(activeSegment().toString()), refused.message());
    assertTrue(refused.message().contains("EIO (injected)"), refused.message());
    PartitionLeader.AppendRefused secondRefused =
        assertInstanceOf(PartitionLeader.AppendRefused.class, second.receiveMessage(WAIT));
    assertTrue(
        secondRefused.message().startsWith("written at offset 1 but not acknowledged"),
        secondRefused.message());
    PartitionLeader.NotCommitted notCommitted =
        assertInstanceOf(PartitionLeader.NotCommitted.class, commit.receiveMessage(WAIT));
    assertTrue(notCommitted.reason().contains("fsync of "), notCommitted.reason());

    // The cluster may still name this node leader: the refusal says the disk failed, not that
    // leadership moved.
    PartitionLeader.AppendRefused later =
        assertInstanceOf(PartitionLeader.AppendRefused.class, append().receiveMessage(WAIT));
    assertEquals(PartitionLeader.Refusal.STORAGE_ERROR, later.reason());
    assertTrue(later.message().contains("nothing was written"), later.message());
    assertTrue(later.message().contains("EIO (injected)"), later.message());
    assertEquals(0, log.flushedOffset());
    assertEquals(0, log.highWatermark());
  }

  // ---- helpers ----

  private TestProbe<PartitionLeader.AppendReply> append() {
    TestProbe<PartitionLeader.AppendReply> probe = testKit.createTestProbe();
    byte[] value = "v".getBytes(StandardCharsets.UTF_8);
    leader.tell(
        new PartitionLeader.Append(
            (l, epoch) -> l.appendRecords(List.of(Record.of(null, value, TIMESTAMP)), epoch),
            false,
            probe.getRef()));
    return probe;
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

  private void awaitCondition(java.util.function.BooleanSupplier condition, String what) {
    testKit
        .createTestProbe()
        .awaitAssert(
            WAIT,
            () -> {
              assertTrue(condition.getAsBoolean(), what);
              return null;
            });
  }

  private Path activeSegment() {
    try {
      return dev.sluice.log.testing.LogTestSupport.activeLogFile(log);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
