package dev.sluice.replication.leader;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partition leader actor against a real log, a controller the test answers by hand, and time
 * the test advances ({@link ManualTime} for the check timer, an injected clock for lag ages). Node
 * 1 leads; 2 and 3 follow; the lag time is 10 s.
 */
class PartitionLeaderTest {
  static final ActorTestKit testKit =
      ActorTestKit.create("PartitionLeaderTest", ManualTime.config());
  static final ManualTime manualTime = ManualTime.get(testKit.system());
  static final Duration LAG = Duration.ofSeconds(10);
  static final Duration CHECK = Duration.ofSeconds(1);
  static final List<Integer> ALL = List.of(1, 2, 3);

  /** A proposal the test answers. */
  record Proposal(
      int epoch,
      long baseVersion,
      List<Integer> inSync,
      CompletableFuture<InSyncProposer.Decision> answer) {}

  @TempDir Path dir;
  final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  final LinkedBlockingQueue<Proposal> proposals = new LinkedBlockingQueue<>();
  final AtomicReference<LeaderView> view = new AtomicReference<>();
  final AtomicLong views = new AtomicLong();
  PartitionLog log;
  ActorRef<PartitionLeader.Command> leader;

  @BeforeEach
  void start() throws IOException {
    log =
        PartitionLog.open(
            dir.resolve("t-0"), StorageSettings.of(1 << 20, 1 << 20), Clock.systemUTC());
    LeaderSettings settings = new LeaderSettings(1, 2, LAG, CHECK, Duration.ofSeconds(5));
    InSyncProposer proposer =
        (epoch, base, inSync) -> {
          CompletableFuture<InSyncProposer.Decision> answer = new CompletableFuture<>();
          proposals.add(new Proposal(epoch, base, inSync, answer));
          return answer;
        };
    leader =
        testKit.spawn(
            PartitionLeader.create(
                new PartitionLeader.Setup(
                    new PartitionId("t", 0),
                    log,
                    settings,
                    proposer,
                    v -> {
                      view.set(v);
                      views.incrementAndGet();
                    },
                    new ChangeSignal(),
                    new LeaderCounters(),
                    Optional::empty,
                    nanos::get)));
  }

  @AfterEach
  void stop() throws IOException {
    testKit.stop(leader);
    log.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void refusesAppendsWhileNotLeading() {
    assertEquals(PartitionLeader.Refusal.NOT_LEADER, refusal(append(true)));
  }

  @Test
  void anAcksAllRecordIsCommittedOnlyWhenEveryInSyncFollowerHasIt() {
    leader.tell(new PartitionLeader.Lead(3, ALL, ALL, 1));
    PartitionLeader.Appended a = appended(append(true));
    assertEquals(3, a.leaderEpoch());
    assertEquals(0, a.info().baseOffset());
    TestProbe<PartitionLeader.CommitReply> commit = testKit.createTestProbe();
    leader.tell(new PartitionLeader.AwaitCommit(0, commit.getRef()));
    handled(new PartitionLeader.FollowerReport(2, 1));
    commit.expectNoMessage(Duration.ZERO);
    leader.tell(new PartitionLeader.FollowerReport(3, 1));
    assertEquals(new PartitionLeader.Committed(0, 1), commit.receiveMessage());
    assertEquals(1, log.highWatermark());
  }

  @Test
  void aReportAboveTheLogEndIsIgnoredWithAWarning() {
    leader.tell(new PartitionLeader.Lead(3, ALL, ALL, 1));
    appended(append(true)); // log end 1
    TestProbe<PartitionLeader.CommitReply> commit = testKit.createTestProbe();
    leader.tell(new PartitionLeader.AwaitCommit(0, commit.getRef()));
    handled(new PartitionLeader.FollowerReport(3, 1));
    LoggingTestKit.warn(
            "t-0: ignoring a position report of node 2: log end offset 1000 is above this"
                + " leader's log end offset 1")
        .withOccurrences(1)
        .expect(
            testKit.system(),
            () -> {
              leader.tell(new PartitionLeader.FollowerReport(2, 1000));
              return null;
            });
    // Node 2 never reported a position the log holds: offset 0 is not committed.
    commit.expectNoMessage(Duration.ZERO);
    assertEquals(0, log.highWatermark());
    handled(new PartitionLeader.FollowerReport(2, 1)); // a true report still counts
    assertEquals(new PartitionLeader.Committed(0, 1), commit.receiveMessage());
  }

  @Test
  void acksAllIsRefusedBeforeWritingWhileTheInSyncSetIsBelowTheMinimum() {
    leader.tell(new PartitionLeader.Lead(3, ALL, List.of(1), 1));
    assertEquals(PartitionLeader.Refusal.NOT_ENOUGH_REPLICAS, refusal(append(true)));
    assertEquals(0, log.logEndOffset());
    appended(append(false));
    assertEquals(1, log.logEndOffset());
    assertEquals(0, log.highWatermark(), "frozen below min-in-sync-replicas");
  }

  @Test
  void staleRolesAreIgnoredAndResigningFailsWaitingAcknowledgements() {
    leader.tell(new PartitionLeader.Lead(3, ALL, ALL, 1));
    appended(append(true));
    TestProbe<PartitionLeader.CommitReply> commit = testKit.createTestProbe();
    leader.tell(new PartitionLeader.AwaitCommit(0, commit.getRef()));
    leader.tell(new PartitionLeader.Resign(2, 2)); // a late message of an older epoch
    appended(append(false));
    leader.tell(new PartitionLeader.Resign(4, 2));
    PartitionLeader.NotCommitted failed =
        assertInstanceOf(PartitionLeader.NotCommitted.class, commit.receiveMessage());
    assertTrue(failed.reason().contains("may or may not"), failed.reason());
    leader.tell(new PartitionLeader.Lead(3, ALL, ALL, 2)); // deposed epoch: never leads again
    assertEquals(PartitionLeader.Refusal.NOT_LEADER, refusal(append(false)));
    leader.tell(new PartitionLeader.Lead(5, ALL, ALL, 3));
    assertEquals(5, appended(append(false)).leaderEpoch());
  }

  @Test
  void anIdlePartitionKeepsItsInSyncSetThroughKeepAlivesAndShrinksWithoutThem() throws Exception {
    leader.tell(new PartitionLeader.Lead(3, ALL, ALL, 1));
    for (int i = 0; i < 30; i++) { // three lag periods, no writes
      leader.tell(new PartitionLeader.FollowerReport(2, 0));
      leader.tell(new PartitionLeader.FollowerReport(3, 0));
      advance(CHECK);
    }
    assertEquals(null, proposals.poll(), "no change proposed while followers keep up");
    for (int i = 0; i <= LAG.toSeconds(); i++) {
      leader.tell(new PartitionLeader.FollowerReport(2, 0)); // 3 went silent
      advance(CHECK);
    }
    Proposal p = proposals.poll(5, TimeUnit.SECONDS);
    assertEquals(List.of(1, 2), p.inSync());
    assertEquals(1, p.baseVersion());
  }

  @Test
  void aJoiningReplicaHoldsTheHighWatermarkWhileItsAdditionIsUnanswered() throws Exception {
    leader.tell(new PartitionLeader.Lead(3, ALL, List.of(1, 2), 1));
    leader.tell(new PartitionLeader.FollowerReport(3, 0)); // caught up: proposed at once
    Proposal p = proposals.poll(5, TimeUnit.SECONDS);
    assertEquals(ALL, p.inSync());
    appended(append(true));
    TestProbe<PartitionLeader.CommitReply> commit = testKit.createTestProbe();
    leader.tell(new PartitionLeader.AwaitCommit(0, commit.getRef()));
    handled(new PartitionLeader.FollowerReport(2, 1));
    commit.expectNoMessage(Duration.ZERO);
    long before = views.get();
    p.answer().complete(new InSyncProposer.Accepted(ALL, 2));
    awaitViewsAfter(before);
    assertEquals(ALL, view.get().inSync());
    commit.expectNoMessage(Duration.ZERO);
    leader.tell(new PartitionLeader.FollowerReport(3, 1));
    assertInstanceOf(PartitionLeader.Committed.class, commit.receiveMessage());
  }

  // ---- helpers ----

  /** Sends {@code m} and waits until the actor handled it (it publishes a view after each). */
  private void handled(PartitionLeader.Command m) {
    long before = views.get();
    leader.tell(m);
    awaitViewsAfter(before);
  }

  private void awaitViewsAfter(long before) {
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(5),
            () -> {
              assertTrue(views.get() > before, "the leader handled the message");
              return null;
            });
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
    manualTime.timePasses(d);
  }

  private PartitionLeader.AppendReply append(boolean acksAll) {
    TestProbe<PartitionLeader.AppendReply> probe = testKit.createTestProbe();
    byte[] value = "v".getBytes(StandardCharsets.UTF_8);
    leader.tell(
        new PartitionLeader.Append(
            (l, epoch) -> l.appendRecords(List.of(Record.of(null, value, TIMESTAMP)), epoch),
            acksAll,
            probe.getRef()));
    return probe.receiveMessage();
  }

  private static PartitionLeader.Appended appended(PartitionLeader.AppendReply reply) {
    return assertInstanceOf(PartitionLeader.Appended.class, reply);
  }

  private static PartitionLeader.Refusal refusal(PartitionLeader.AppendReply reply) {
    return assertInstanceOf(PartitionLeader.AppendRefused.class, reply).reason();
  }
}
