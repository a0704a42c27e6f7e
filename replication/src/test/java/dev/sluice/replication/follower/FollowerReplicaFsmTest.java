package dev.sluice.replication.follower;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.sluice.config.BackoffSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.follower.FollowerReplica.Command;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.transfer.FollowerEvent;
import dev.sluice.replication.transfer.FollowerSession;
import dev.sluice.replication.transfer.TransferSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The follower FSM under manual time: scripted attempts (a queue per attempt that the test feeds
 * events into and fails) for the transitions and the backoff arithmetic, and one real TCP path
 * against a closed port. Nothing sleeps: timers fire only when the test advances {@link
 * ManualTime}, and a no-op message seen handled after {@code timePasses} proves whether the timer
 * fired (its message would be ahead of the no-op in the mailbox; see {@link #statusNow}).
 */
class FollowerReplicaFsmTest {
  private static final int MiB = 1 << 20;
  private static final PartitionId PID = new PartitionId("orders", 0);
  private static final Duration MIN = Duration.ofMillis(100);
  private static final Duration MAX = Duration.ofMillis(800);
  private static final TransferSettings SETTINGS =
      new TransferSettings(
          MiB,
          Duration.ofMillis(200),
          Duration.ofSeconds(5),
          Duration.ofSeconds(5),
          new BackoffSettings(MIN, MAX, 0.5),
          0);

  /** An assignment older than every one in these tests: the follower ignores it. */
  private static final Command NO_OP = new FollowerReplica.LeaderChanged(1, 0);

  private static final Map<Integer, InetSocketAddress> ADDRESSES =
      Map.of(
          1, InetSocketAddress.createUnresolved("leader-one", 7001),
          2, InetSocketAddress.createUnresolved("leader-two", 7002));

  static final ActorTestKit testKit =
      ActorTestKit.create(ManualTime.config().withFallback(ConfigFactory.load()));
  static final ManualTime manualTime = ManualTime.get(testKit.system());

  @TempDir Path tmp;
  private PartitionLog log;
  private FollowerStatus status;
  private TestProbe<Scripted> opened;
  private TestProbe<Command> handled;
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private ActorRef<Command> follower;

  /** One scripted connection attempt: what it was given, and the handle to drive it. */
  record Scripted(
      InetSocketAddress leader,
      FollowerSession session,
      BoundedSourceQueue<FollowerEvent> queue,
      CompletableFuture<Void> ended) {

    void emit(FollowerEvent... events) {
      for (FollowerEvent e : events) {
        queue.offer(e);
      }
    }

    void fail(String error) {
      queue.fail(new IOException(error));
    }

    void awaitEnded() throws Exception {
      ended.get(5, TimeUnit.SECONDS);
    }
  }

  /** Hands each attempt to the test through {@code opened}. */
  private FollowerSetup.AttemptFactory scripted() {
    return (ActorSystem<?> system,
        FollowerSession session,
        InetSocketAddress leader,
        TransferSettings settings) -> {
      Pair<BoundedSourceQueue<FollowerEvent>, Source<FollowerEvent, NotUsed>> q =
          Source.<FollowerEvent>queue(64).preMaterialize(system);
      CompletableFuture<Void> ended = new CompletableFuture<>();
      opened.ref().tell(new Scripted(leader, session, q.first(), ended));
      return q.second()
          .watchTermination(
              (mat, done) -> {
                done.whenComplete((d, e) -> ended.complete(null));
                return mat;
              });
    };
  }

  @BeforeEach
  void setUp() throws IOException {
    log =
        PartitionLog.open(
            tmp.resolve("follower"), StorageSettings.of(8L * MiB, 4L * MiB), Clock.systemUTC());
    status = new FollowerStatus();
    opened = testKit.createTestProbe();
    handled = testKit.createTestProbe();
  }

  @AfterEach
  void tearDown() throws IOException {
    if (follower != null) {
      testKit.stop(follower);
    }
    log.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private FollowerSetup setup(IntFunction<Optional<InetSocketAddress>> addresses) {
    return FollowerSetup.of(2, PID, log, addresses, 1, 5, SETTINGS, status)
        .withNanoClock(clock::get)
        .withRandom(() -> 0.0)
        .withAttempts(scripted());
  }

  private Scripted start() {
    follower = spawn(setup(n -> Optional.ofNullable(ADDRESSES.get(n))));
    return opened.receiveMessage();
  }

  /** The follower, reporting to {@link #handled} each {@link #NO_OP} once it has handled it. */
  private ActorRef<Command> spawn(FollowerSetup setup) {
    ActorRef<Command> reportTo = handled.ref();
    return testKit.spawn(
        Behaviors.intercept(
            () ->
                new BehaviorInterceptor<Command, Command>(Command.class) {
                  @Override
                  public Behavior<Command> aroundReceive(
                      TypedActorContext<Command> ctx, Command msg, ReceiveTarget<Command> target) {
                    Behavior<Command> next = target.apply(ctx, msg);
                    if (msg.equals(NO_OP)) {
                      reportTo.tell(msg);
                    }
                    return next;
                  }
                },
            FollowerReplica.create(setup)));
  }

  /**
   * The follower's status once it has handled everything sent before: a stale assignment (a no-op
   * by design) goes through its mailbox behind whatever the test or a timer sent.
   */
  private FollowerStatus.Snapshot statusNow() {
    follower.tell(NO_OP);
    handled.expectMessage(NO_OP);
    return status.snapshot();
  }

  private void awaitState(FollowerState state) {
    opened.awaitAssert(
        Duration.ofSeconds(10),
        Duration.ofMillis(5),
        () -> {
          assertEquals(state, status.snapshot().state(), () -> status.snapshot().toString());
          return null;
        });
  }

  /** Advances time to just before the backoff ends, proves no reconnect, then lets it fire. */
  private Scripted nextAttemptAfter(Duration backoff) {
    int attempts = statusNow().attempts();
    manualTime.timePasses(backoff.minusMillis(1));
    FollowerStatus.Snapshot before = statusNow();
    assertEquals(FollowerState.BACKING_OFF, before.state());
    assertEquals(attempts, before.attempts(), "no reconnect before the timer fires");
    opened.expectNoMessage(Duration.ZERO);
    manualTime.timePasses(Duration.ofMillis(1));
    return opened.receiveMessage();
  }

  private static FollowerEvent.Connecting handshake(long logEnd, long staged) {
    Frame.StagedPosition position =
        staged == 0
            ? Frame.StagedPosition.NONE
            : new Frame.StagedPosition(logEnd, 3L * MiB, 7, staged);
    return new FollowerEvent.Connecting(new Frame.Hello(2, PID, logEnd, -1, 5, position));
  }

  private static FollowerEvent.LeaderStatusReceived leaderAt(long logEnd) {
    return new FollowerEvent.LeaderStatusReceived(5, logEnd, logEnd);
  }

  @Test
  void backoffGrowsFromMinDoublingToMaxWithNoReconnectBeforeTheTimerFires() {
    Scripted attempt = start();
    assertEquals(ADDRESSES.get(1), attempt.leader());
    for (long millis : new long[] {100, 200, 400, 800, 800}) {
      attempt.fail("Connection reset by peer");
      awaitState(FollowerState.BACKING_OFF);
      FollowerStatus.Snapshot s = statusNow();
      assertEquals(Duration.ofMillis(millis), s.currentBackoff());
      assertEquals("IOException: Connection reset by peer", s.lastError());
      attempt = nextAttemptAfter(Duration.ofMillis(millis));
      assertEquals(FollowerState.CONNECTING, statusNow().state());
    }
    assertEquals(6, statusNow().attempts());
  }

  @Test
  void refusedConnectionsToAClosedPortBackOffOverRealTcp() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    InetSocketAddress closed = new InetSocketAddress("127.0.0.1", closedPort);
    follower = spawn(setup(n -> Optional.of(closed)).withAttempts(FollowerSetup.TCP_ATTEMPTS));
    awaitState(FollowerState.BACKING_OFF);
    FollowerStatus.Snapshot first = statusNow();
    assertEquals(1, first.attempts());
    assertEquals(MIN, first.currentBackoff());
    assertTrue(first.lastError().contains("Connect"), first.lastError());

    manualTime.timePasses(MIN.minusMillis(1));
    assertEquals(1, statusNow().attempts(), "no reconnect before the timer fires");
    manualTime.timePasses(Duration.ofMillis(1));
    opened.awaitAssert(
        Duration.ofSeconds(10),
        () -> {
          FollowerStatus.Snapshot s = status.snapshot();
          assertEquals(2, s.attempts());
          assertEquals(FollowerState.BACKING_OFF, s.state());
          assertEquals(MIN.multipliedBy(2), s.currentBackoff());
          return null;
        });
  }

  @Test
  void backoffResetsToMinOnlyAfterSustainedProgress() {
    Scripted attempt = start();
    attempt.fail("reset");
    awaitState(FollowerState.BACKING_OFF);
    attempt = nextAttemptAfter(MIN);
    // In sync without moving anything, briefly: not healthy, the backoff keeps growing.
    attempt.emit(handshake(0, 0), leaderAt(0));
    awaitState(FollowerState.IN_SYNC);
    attempt.fail("reset");
    awaitState(FollowerState.BACKING_OFF);
    assertEquals(MIN.multipliedBy(2), statusNow().currentBackoff());

    // Moved and caught up: the next failure starts again from min.
    attempt = nextAttemptAfter(MIN.multipliedBy(2));
    attempt.emit(handshake(0, 0), leaderAt(1), new FollowerEvent.Appended(1, 500));
    awaitState(FollowerState.IN_SYNC);
    assertEquals(Duration.ZERO, statusNow().currentBackoff());
    attempt.fail("reset");
    awaitState(FollowerState.BACKING_OFF);
    assertEquals(MIN, statusNow().currentBackoff());

    // Moved a little and failed at once: grows.
    attempt = nextAttemptAfter(MIN);
    attempt.emit(
        handshake(1, 0), leaderAt(2), new FollowerEvent.ChunkStaged(1, MiB, 3L * MiB, MiB, 0));
    awaitState(FollowerState.CATCHING_UP);
    attempt.fail("reset");
    awaitState(FollowerState.BACKING_OFF);
    assertEquals(MIN.multipliedBy(2), statusNow().currentBackoff());

    // Moved and lasted backoff.max (on the injected clock) without catching up: resets.
    attempt = nextAttemptAfter(MIN.multipliedBy(2));
    attempt.emit(handshake(1, MiB), new FollowerEvent.ChunkStaged(1, 2L * MiB, 3L * MiB, MiB, 0));
    awaitState(FollowerState.CATCHING_UP);
    clock.addAndGet(MAX.toNanos());
    attempt.fail("reset");
    awaitState(FollowerState.BACKING_OFF);
    assertEquals(MIN, statusNow().currentBackoff());
  }

  @Test
  void catchingUpThenInSyncThenFallingBehindAndCountingStagedAndResentBytes() {
    Scripted attempt = start();
    assertEquals(FollowerState.CONNECTING, statusNow().state());
    attempt.emit(handshake(0, 0), leaderAt(1));
    awaitState(FollowerState.CATCHING_UP);
    attempt.emit(new FollowerEvent.ChunkStaged(0, MiB, 3L * MiB, MiB, 0));
    opened.awaitAssert(
        () -> {
          assertEquals(MiB, status.snapshot().stagedBytes());
          return null;
        });
    long progressBefore = statusNow().lastProgressNanos();
    clock.addAndGet(1_000);
    attempt.fail("Broken pipe");
    awaitState(FollowerState.BACKING_OFF);

    // The next attempt resumes the staged batch; the leader resends 4 KiB the follower held.
    attempt = nextAttemptAfter(MIN);
    attempt.emit(
        handshake(0, MiB),
        new FollowerEvent.ChunkStaged(0, 2L * MiB, 3L * MiB, MiB, 4096),
        new FollowerEvent.ChunkStaged(0, 3L * MiB, 3L * MiB, MiB, 0),
        new FollowerEvent.Appended(1, 3L * MiB));
    awaitState(FollowerState.IN_SYNC);
    FollowerStatus.Snapshot s = statusNow();
    assertEquals(1, s.logEndOffset());
    assertEquals(0, s.stagedBytes());
    assertEquals(3L * MiB + 4096, s.bytesReceived(), "the completing Appended adds nothing");
    assertEquals(4096, s.resentBytes());
    assertTrue(s.lastProgressNanos() > progressBefore, "progress stamped on the injected clock");

    // Tailing: the leader's end moves ahead, then the follower follows.
    attempt.emit(leaderAt(3));
    awaitState(FollowerState.CATCHING_UP);
    attempt.emit(new FollowerEvent.Appended(3, 900));
    awaitState(FollowerState.IN_SYNC);
    assertEquals(3, statusNow().leaderLogEndOffset());
    assertEquals(3L * MiB + 4096 + 900, statusNow().bytesReceived());
  }

  @Test
  void batchesPastTheLastAnnouncedLeaderEndRaiseItAndTheFollowerStaysInSync() {
    Scripted attempt = start();
    attempt.emit(handshake(0, 0), leaderAt(2));
    awaitState(FollowerState.CATCHING_UP);
    attempt.emit(new FollowerEvent.Appended(2, 100));
    awaitState(FollowerState.IN_SYNC);

    // A leader announces no log end that the batches it sends next reach.
    attempt.emit(new FollowerEvent.Appended(5, 300));
    opened.awaitAssert(
        Duration.ofSeconds(10),
        Duration.ofMillis(5),
        () -> {
          assertEquals(5, status.snapshot().logEndOffset());
          return null;
        });
    FollowerStatus.Snapshot s = statusNow();
    assertEquals(FollowerState.IN_SYNC, s.state());
    assertEquals(5, s.leaderLogEndOffset(), "the leader holds at least the batches it sent");

    // An announced end beyond them still means behind.
    attempt.emit(leaderAt(7));
    awaitState(FollowerState.CATCHING_UP);
    assertEquals(7, statusNow().leaderLogEndOffset());
  }

  @Test
  void restartTransferDropsTheConnectionAndReconnectsAtOnce() throws Exception {
    Scripted first = start();
    first.emit(handshake(0, 0), leaderAt(10));
    awaitState(FollowerState.CATCHING_UP);

    follower.tell(new FollowerReplica.RestartTransfer("no progress for 30s"));
    Scripted second = opened.receiveMessage(); // no time passed
    first.awaitEnded();
    FollowerStatus.Snapshot s = statusNow();
    assertEquals(
        FollowerState.CONNECTING, s.state(), "the dropped attempt's failure is not a failure");
    assertEquals(2, s.attempts());
    assertTrue(s.lastError().contains("no progress for 30s"), s.lastError());

    // From backingOff too: the timer is cancelled, the attempt starts now.
    second.fail("reset");
    awaitState(FollowerState.BACKING_OFF);
    assertEquals(MIN, statusNow().currentBackoff(), "the restart was not counted as a failure");
    follower.tell(new FollowerReplica.RestartTransfer("still stuck"));
    opened.receiveMessage();
    manualTime.timePasses(MAX.multipliedBy(2));
    assertEquals(3, statusNow().attempts(), "the cancelled timer never fires");
    opened.expectNoMessage(Duration.ZERO);
  }

  @Test
  void leaderChangedGoesBackToConnectingToTheNewLeader() throws Exception {
    Scripted first = start();
    first.emit(handshake(0, 0), leaderAt(0));
    awaitState(FollowerState.IN_SYNC);

    follower.tell(new FollowerReplica.LeaderChanged(2, 6));
    Scripted second = opened.receiveMessage();
    first.awaitEnded();
    assertEquals(ADDRESSES.get(2), second.leader());
    assertEquals(FollowerState.CONNECTING, statusNow().state());
    assertEquals(6, second.session().hello().currentLeaderEpoch(), "the handshake has the epoch");

    // Repeated and stale assignments keep the connection.
    follower.tell(new FollowerReplica.LeaderChanged(2, 6));
    follower.tell(new FollowerReplica.LeaderChanged(1, 5));
    assertEquals(2, statusNow().attempts());
    opened.expectNoMessage(Duration.ZERO);

    // From backingOff: the pending timer is dropped and the new leader asked at once; one
    // without an address is a named error, and the backoff started again from min.
    second.fail("reset");
    awaitState(FollowerState.BACKING_OFF);
    second = nextAttemptAfter(MIN);
    second.fail("reset");
    awaitState(FollowerState.BACKING_OFF);
    assertEquals(MIN.multipliedBy(2), statusNow().currentBackoff());
    follower.tell(new FollowerReplica.LeaderChanged(3, 7));
    FollowerStatus.Snapshot s = statusNow();
    assertEquals(FollowerState.BACKING_OFF, s.state());
    assertEquals("leader node 3 has no known replication address", s.lastError());
    assertEquals(MIN, s.currentBackoff());
    assertEquals(3, s.attempts(), "no attempt without an address");
  }

  @Test
  void divergedLogIsCutInTheTruncatingStateAndTheFollowerReconnectsWithoutBackoff()
      throws Exception {
    // Offsets 0..2 of epoch 3, then 3..4 of epoch 4 that the leader never had.
    log.appendRecords(List.of(record(), record(), record()), 3);
    log.appendRecords(List.of(record(), record()), 4);
    Scripted first = start();
    first.emit(handshake(5, 0), new FollowerEvent.DivergenceReported(new Frame.Diverged(3, 3, 0)));
    Scripted second = opened.receiveMessage(); // cut, then a new handshake at once
    assertEquals(3, log.logEndOffset());
    assertEquals(3, log.latestLeaderEpoch());
    assertEquals(Duration.ZERO, statusNow().currentBackoff());
    assertEquals(2, statusNow().attempts(), "reconnected without a backoff in between");
    assertEquals(3, statusNow().logEndOffset());
    first.awaitEnded(); // the diverged attempt was dropped
    second.emit(handshake(3, 0), leaderAt(3));
    awaitState(FollowerState.IN_SYNC);
  }

  @Test
  void aDivergenceAnswerThatFitsNothingInThisLogBacksOffInsteadOfLooping() throws Exception {
    log.appendRecords(List.of(record(), record()), 3);
    Scripted first = start();
    // The leader claims epoch 3 ends at 9, beyond this log: nothing to cut.
    first.emit(handshake(2, 0), new FollowerEvent.DivergenceReported(new Frame.Diverged(3, 9, 0)));
    awaitState(FollowerState.BACKING_OFF);
    assertTrue(statusNow().lastError().contains("ending at 9"), statusNow().lastError());
    assertEquals(2, log.logEndOffset());
    nextAttemptAfter(MIN);
  }

  @Test
  void aFollowerBelowTheLeadersLogStartRestartsEmptyThere() throws Exception {
    log.appendRecords(List.of(record(), record()), 3);
    Scripted first = start();
    first.emit(
        handshake(2, 0), new FollowerEvent.DivergenceReported(new Frame.Diverged(3, 50, 40)));
    Scripted second = opened.receiveMessage();
    assertEquals(40, log.logStartOffset());
    assertEquals(40, log.logEndOffset());
    assertEquals(40, second.session().hello().logEndOffset());
    assertEquals(-1, second.session().hello().lastLeaderEpoch());
  }

  private static Record record() {
    return Record.of(null, new byte[] {1, 2, 3}, TIMESTAMP);
  }

  @Test
  void leaderClosingTheConnectionBacksOffLikeAFailure() {
    Scripted first = start();
    first.emit(handshake(0, 0), leaderAt(0));
    awaitState(FollowerState.IN_SYNC);
    first.queue().complete();
    awaitState(FollowerState.BACKING_OFF);
    assertEquals("leader node 1 closed the connection", statusNow().lastError());
    nextAttemptAfter(MIN);
  }

  @Test
  void limitFramesIsRecordedInTheStatusAndAskedForInTheNextHandshake() throws IOException {
    Scripted attempt = start();
    assertEquals(MiB, attempt.session().hello().maxFrameBytes(), "full frames by default");
    follower.tell(new FollowerReplica.LimitFrames(4));
    assertEquals(4, statusNow().frameLimitDivisor());
    assertEquals(MiB / 4, attempt.session().hello().maxFrameBytes());
    follower.tell(new FollowerReplica.LimitFrames(0));
    assertEquals(4, statusNow().frameLimitDivisor(), "an impossible divisor is ignored");
    follower.tell(new FollowerReplica.LimitFrames(1));
    assertEquals(1, statusNow().frameLimitDivisor());
    assertEquals(MiB, attempt.session().hello().maxFrameBytes());
  }

  @Test
  void stopEndsTheAttemptAndClosesTheSessionButNotTheLog() throws Exception {
    Scripted attempt = start();
    attempt.emit(handshake(0, 0), leaderAt(4));
    awaitState(FollowerState.CATCHING_UP);
    follower.tell(new FollowerReplica.Stop());
    opened.expectTerminated(follower);
    attempt.awaitEnded();
    assertThrows(IllegalStateException.class, () -> attempt.session().hello());
    assertEquals(0, log.logEndOffset(), "the log stays open for its owner");
    follower = null;
  }

  @Test
  void anUnexpectedExceptionRestartsTheActorWithTheNewestLeader() throws Exception {
    AtomicInteger lookups = new AtomicInteger();
    follower =
        spawn(
            setup(
                n -> {
                  if (lookups.incrementAndGet() == 3) {
                    throw new IllegalStateException("bug in the address lookup");
                  }
                  return Optional.ofNullable(ADDRESSES.get(n));
                }));
    Scripted first = opened.receiveMessage();
    follower.tell(new FollowerReplica.LeaderChanged(2, 6));
    Scripted second = opened.receiveMessage();
    first.awaitEnded();
    second.fail("reset");
    awaitState(FollowerState.BACKING_OFF);
    manualTime.timePasses(MIN); // the lookup throws; supervision restarts after its own backoff
    second.awaitEnded();
    manualTime.timePasses(MIN.multipliedBy(2));
    Scripted afterRestart = opened.receiveMessage();
    assertEquals(ADDRESSES.get(2), afterRestart.leader(), "the restarted actor kept the leader");
    assertEquals(6, afterRestart.session().hello().currentLeaderEpoch());
    assertThrows(
        IllegalStateException.class,
        () -> second.session().hello(),
        "the failed incarnation's session was closed");
    assertEquals(FollowerState.CONNECTING, statusNow().state());
    assertEquals(3, statusNow().attempts());
  }
}
