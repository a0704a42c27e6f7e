package dev.sluice.replication.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.ReplicationSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.replication.follower.FollowerReplica;
import dev.sluice.replication.follower.FollowerSetup;
import dev.sluice.replication.follower.FollowerState;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.testing.ReplicationHarness;
import dev.sluice.replication.transfer.TransferSettings;
import dev.sluice.replication.watchdog.ReplicaHealth;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchdogState;
import dev.sluice.replication.watchdog.WatchedReplica;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network faults between a follower and its leader, injected by a {@link FaultProxy} on the
 * follower's path to the leader's replication port: real TCP on 127.0.0.1, real partition logs, the
 * production leader ({@link ReplicationHarness}) and follower FSM (and stall watchdog where it
 * matters), peer-max-bytes 1 MiB. Every test ends with the follower's segment files byte-identical
 * to the leader's.
 *
 * <p>Real time, not {@code ManualTime}: the faults live in TCP connections, so the tests wait on
 * conditions ({@code awaitAssert}) with generous maxima, never on fixed sleeps; delays are kept
 * small (backoff of tens of ms, a watchdog interval of 100 ms) so each test runs in seconds.
 */
class FaultInjectionTest {
  private static final Logger log = LoggerFactory.getLogger(FaultInjectionTest.class);
  private static final int KiB = 1 << 10;
  private static final int MiB = 1 << 20;
  private static final long PEER_MAX = MiB;
  private static final PartitionId PID = new PartitionId("orders", 0);
  private static final String REPLICA = PID.toString();
  private static final StorageSettings STORAGE = StorageSettings.of(70L * MiB, 65L * MiB);
  private static final Duration HEARTBEAT = Duration.ofMillis(200);
  private static final Duration WAIT = Duration.ofSeconds(30);

  static final ActorTestKit testKit = ActorTestKit.create("FaultInjectionTest");

  @TempDir Path tmp;
  private ReplicationHarness harness;
  private PartitionLog leaderLog;
  private PartitionLog followerLog;
  private FaultProxy proxy;
  private FollowerStatus status;
  private ActorRef<FollowerReplica.Command> follower;
  private ActorRef<StallWatchdog.Command> watchdog;

  @BeforeEach
  void setUp() throws Exception {
    // The leader's own idle timeout is long: the faults under test are the proxy's.
    harness =
        ReplicationHarness.start(
            testKit,
            tmp,
            STORAGE,
            settings(Duration.ofMillis(50), Duration.ofMillis(500), Duration.ofSeconds(30)),
            PID);
    harness.lead(1);
    leaderLog = harness.leaderLog(PID);
    followerLog = harness.followerLog(PID);
    proxy = FaultProxy.start(testKit.system(), harness.address());
    status = new FollowerStatus();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (watchdog != null) {
      testKit.stop(watchdog);
    }
    harness.close(); // stops the follower first
    proxy.shutdown().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /**
   * The brief asked for a cut every ~300 KiB. With frames of peer-max-bytes (1 MiB) that can never
   * finish: no connection lives long enough to deliver one whole chunk, so nothing is ever staged
   * (only smaller frames help, see {@link #cutEvery300KiBWithFramesLimitedTo256KiBStillCatchesUp}).
   * Cutting every 1.5 MiB lets each connection deliver one chunk and lose the next one halfway, the
   * worst case for the "resend at most one frame per cut" bound.
   */
  @Test
  void cutEvery1536KiBWhileA64MiBBatchTransfers() throws Exception {
    append(1000);
    append(64L * MiB);
    append(2000);
    proxy.cutEvery(1536L * KiB);

    startFollower(settings(Duration.ofMillis(10), Duration.ofMillis(200), Duration.ofSeconds(5)));
    awaitInSync(Duration.ofSeconds(60));
    long forwarded = proxy.bytesToFollower();
    assertSegmentsIdentical();

    FollowerStatus.Snapshot s = status.snapshot();
    long cuts = proxy.cuts();
    long perCut = PEER_MAX + ReplicationSettings.FRAME_HEADER_BYTES;
    long overForwarded = forwarded - leaderLog.sizeInBytes();
    log.info(
        "cut every 1536 KiB: {} cuts, {} connections, {} attempts; follower resent {} bytes;"
            + " proxy forwarded {} bytes for a {}-byte log ({} more, {} per cut)",
        cuts,
        proxy.connectionsAccepted(),
        s.attempts(),
        s.resentBytes(),
        forwarded,
        leaderLog.sizeInBytes(),
        overForwarded,
        cuts == 0 ? 0 : overForwarded / cuts);
    assertTrue(cuts >= 40, "the 64 MiB batch needed a connection per MiB: " + cuts + " cuts");
    assertTrue(s.attempts() > cuts, "a new attempt after every cut: " + s);
    assertTrue(s.resentBytes() <= cuts * perCut, "resent within a frame per cut: " + s);
    // Framing, status frames and heartbeats are a few KiB in all; the rest is frames cut short.
    assertTrue(
        overForwarded <= cuts * perCut + 64 * KiB,
        overForwarded + " bytes forwarded beyond the log over " + cuts + " cuts");
  }

  /**
   * The cut every ~300 KiB during a 64 MiB batch, with the default 1 MiB frames: no frame can
   * complete between two cuts, so nothing is ever staged until the watchdog escalates the stall to
   * smaller frames (stall 2: 512 KiB, stall 3: 256 KiB); from then on each connection delivers a
   * chunk, the frames stay small until the follower has caught up, and full frames come back after.
   */
  @Test
  void cutEvery300KiBWhileA64MiBBatchTransfersHealsThroughTheWatchdog() throws Exception {
    append(1000);
    append(64L * MiB);
    append(2000);
    proxy.cutEvery(300L * KiB);
    WatchdogState watchState = new WatchdogState();
    watchdog =
        testKit.spawn(
            StallWatchdog.create(
                Duration.ofMillis(100), Duration.ofMillis(700), watchState, System::nanoTime));
    startFollower(settings(Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(5)));
    ActorRef<FollowerReplica.Command> f = follower;
    watchdog.tell(
        new StallWatchdog.Watch(
            REPLICA,
            WatchedReplica.of(
                status,
                reason -> f.tell(new FollowerReplica.RestartTransfer(reason)),
                divisor -> f.tell(new FollowerReplica.LimitFrames(divisor)))));

    awaitInSync(Duration.ofSeconds(150));
    assertSegmentsIdentical();
    FollowerStatus.Snapshot s = status.snapshot();
    long cuts = proxy.cuts();
    long perCut = PEER_MAX + ReplicationSettings.FRAME_HEADER_BYTES;
    long overForwarded = proxy.bytesToFollower() - leaderLog.sizeInBytes();
    log.info(
        "cut every 300 KiB, 64 MiB batch: {} stalls, {} cuts, follower resent {} bytes, proxy"
            + " forwarded {} bytes beyond the log",
        watchState.totalStalls(),
        cuts,
        s.resentBytes(),
        overForwarded);
    assertTrue(
        watchState.totalStalls() >= 3, "healed through escalation: " + watchState.totalStalls());
    assertTrue(cuts >= 200, "a 64 MiB batch through 300 KiB connections: " + cuts + " cuts");
    assertTrue(s.resentBytes() <= cuts * perCut, s.toString());
    assertTrue(overForwarded <= cuts * perCut + 64 * KiB, overForwarded + " over " + cuts);
    awaitStatus(WAIT, after -> assertEquals(1, after.frameLimitDivisor(), after::toString));
  }

  /** The other way through the same cuts: frames small enough to fit between two cuts. */
  @Test
  void cutEvery300KiBWithFramesLimitedTo256KiBStillCatchesUp() throws Exception {
    append(1000);
    append(4L * MiB);
    append(2000);
    TransferSettings settings =
        settings(Duration.ofMillis(10), Duration.ofMillis(200), Duration.ofSeconds(5));
    // Before the first attempt can reach the leader: the proxy refuses until the limit is set.
    proxy.refuse();
    startFollower(settings);
    follower.tell(new FollowerReplica.LimitFrames(4));
    awaitStatus(Duration.ofSeconds(10), s -> assertEquals(4, s.frameLimitDivisor()));
    proxy.cutEvery(300L * KiB);

    awaitInSync(WAIT);
    assertSegmentsIdentical();
    FollowerStatus.Snapshot s = status.snapshot();
    long cuts = proxy.cuts();
    long perCut = settings.limitedFrameBytes(4) + ReplicationSettings.FRAME_HEADER_BYTES;
    long overForwarded = proxy.bytesToFollower() - leaderLog.sizeInBytes();
    log.info(
        "cut every 300 KiB, 256 KiB frames: {} cuts, follower resent {} bytes, proxy forwarded"
            + " {} bytes beyond the log",
        cuts,
        s.resentBytes(),
        overForwarded);
    // A cut can also lose a whole chunk still unread in the follower's socket (a reset discards
    // it), so there may be more cuts than chunks, but never fewer.
    assertTrue(cuts >= 15, "a 4 MiB batch through 300 KiB connections: " + cuts + " cuts");
    assertTrue(s.resentBytes() <= cuts * perCut, s.toString());
    assertTrue(overForwarded <= cuts * perCut + 64 * KiB, overForwarded + " over " + cuts);
  }

  @Test
  void aFlippedByteIsRejectedByTheCrcAndNothingCorruptIsAppended() throws Exception {
    for (int i = 0; i < 3; i++) {
      append(1000 + i);
    }
    long corruptBase = leaderLog.logEndOffset();
    append(4L * MiB);
    append(1500);
    // Half-way into the first chunk of the 4 MiB batch: the connection starts with a
    // LeaderStatus, the three small batches in one frame, then the chunk's 34-byte header.
    proxy.flipByteAt(512L * KiB);
    // A first backoff of 1 s keeps the failed attempt observable before the resend.
    startFollower(settings(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5)));

    awaitStatus(
        WAIT,
        s -> {
          assertEquals(FollowerState.BACKING_OFF, s.state(), s::toString);
          assertTrue(s.lastError().startsWith("CorruptTransferException"), s::toString);
        });
    String error = status.snapshot().lastError();
    assertEquals(1, proxy.flips());
    assertTrue(error.contains(PID.toString()), error);
    assertTrue(error.contains("batch offset " + corruptBase), error);
    assertTrue(error.contains("CRC32C"), error);
    assertEquals(corruptBase, followerLog.logEndOffset(), "the corrupt batch was not appended");
    assertEquals(0, stagedFiles(), "the corrupt staged bytes were discarded");

    awaitInSync(WAIT);
    assertSegmentsIdentical();
    assertTrue(status.snapshot().attempts() >= 2, status.snapshot().toString());
  }

  @Test
  void aBlackHoledConnectionIsFlaggedByTheWatchdogAndRecoversWhenHealed() throws Exception {
    append(1000);
    append(3L * MiB);
    append(1000);
    proxy.blackHole();
    Duration idleTimeout = Duration.ofSeconds(10);
    WatchdogState watchState = new WatchdogState();
    watchdog =
        testKit.spawn(
            StallWatchdog.create(
                Duration.ofMillis(100), Duration.ofSeconds(1), watchState, System::nanoTime));
    startFollower(settings(Duration.ofMillis(50), Duration.ofMillis(400), idleTimeout));
    ActorRef<FollowerReplica.Command> f = follower;
    watchdog.tell(
        new StallWatchdog.Watch(
            REPLICA,
            WatchedReplica.of(
                status,
                reason -> f.tell(new FollowerReplica.RestartTransfer(reason)),
                divisor -> f.tell(new FollowerReplica.LimitFrames(divisor)))));

    // Flagged by the watchdog before the connection's own idle timeout could notice anything.
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(
        idleTimeout.minusSeconds(1),
        Duration.ofMillis(20),
        () -> {
          ReplicaHealth h = watchState.replica(REPLICA).orElseThrow();
          assertTrue(watchState.totalStalls() >= 1, h::toString);
          assertTrue(h.stalled(), h::toString);
          FollowerStatus.Snapshot s = status.snapshot();
          assertTrue(s.lastError().contains("watchdog"), s::toString);
          assertTrue(s.attempts() >= 2, () -> "restarted by the watchdog: " + s);
          return null;
        });
    assertEquals(0, followerLog.logEndOffset());
    assertEquals(0, proxy.bytesToFollower(), "nothing crossed the black hole");

    proxy.heal();
    awaitInSync(WAIT);
    assertSegmentsIdentical();
    probe.awaitAssert(
        WAIT,
        Duration.ofMillis(20),
        () -> {
          ReplicaHealth h = watchState.replica(REPLICA).orElseThrow();
          assertTrue(watchState.recoveries() >= 1, h::toString);
          assertTrue(!h.stalled() && h.healthy(), h::toString);
          assertEquals(1, status.snapshot().frameLimitDivisor(), "full frames restored");
          return null;
        });
  }

  @Test
  void leaderUnreachableBackoffGrowsToItsMaximumThenResetsAfterRecovery() throws Exception {
    append(1000);
    append(2L * MiB);
    proxy.refuse();
    Duration max = Duration.ofMillis(400);
    startFollower(settings(Duration.ofMillis(50), max, Duration.ofSeconds(5)));

    awaitStatus(
        WAIT,
        s -> {
          assertEquals(max, s.currentBackoff(), s::toString);
          assertTrue(s.attempts() >= 4, s::toString); // 50, 100, 200, then 400 ms
        });
    assertEquals(0, followerLog.logEndOffset());
    assertTrue(proxy.connectionsAccepted() >= 4);

    proxy.heal();
    awaitInSync(WAIT);
    assertEquals(Duration.ZERO, status.snapshot().currentBackoff(), "reset on inSync");
    assertSegmentsIdentical();

    // The attempt that reached inSync was healthy: the next failure waits min again, not max.
    LoggingTestKit.info("failure 1, next attempt in 50 ms")
        .expect(
            testKit.system(),
            () -> {
              proxy.dropConnections();
              return null;
            });
    append(3000);
    awaitInSync(WAIT);
    assertEquals(Duration.ZERO, status.snapshot().currentBackoff());
    assertSegmentsIdentical();
  }

  // ---- fixture ----

  private static TransferSettings settings(Duration min, Duration max, Duration idleTimeout) {
    return new TransferSettings(
        PEER_MAX,
        HEARTBEAT,
        idleTimeout,
        Duration.ofSeconds(5),
        new BackoffSettings(min, max, 0.0),
        4 * MiB);
  }

  private void startFollower(TransferSettings settings) {
    FollowerSetup setup =
        harness
            .followerSetup(
                PID,
                settings,
                status,
                node ->
                    node == ReplicationHarness.LEADER_NODE
                        ? Optional.of(proxy.address())
                        : Optional.empty())
            .withRandom(() -> 0.0);
    follower = harness.startFollower(setup);
  }

  private void awaitStatus(Duration max, java.util.function.Consumer<FollowerStatus.Snapshot> ok) {
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(
        max,
        Duration.ofMillis(10),
        () -> {
          ok.accept(status.snapshot());
          return null;
        });
  }

  private void awaitInSync(Duration max) {
    awaitStatus(
        max,
        s -> {
          assertEquals(FollowerState.IN_SYNC, s.state(), s::toString);
          assertEquals(leaderLog.logEndOffset(), s.logEndOffset(), s::toString);
          assertEquals(leaderLog.logEndOffset(), followerLog.logEndOffset());
        });
  }

  /** Appends a one-record batch of exactly {@code totalSize} bytes through the leader. */
  private void append(long totalSize) throws Exception {
    harness.appendBatchOfSize(PID, totalSize);
  }

  private long stagedFiles() throws IOException {
    try (Stream<Path> s = Files.list(followerLog.staging().dir())) {
      return s.count();
    }
  }

  private void assertSegmentsIdentical() throws IOException {
    LogFixtures.assertSegmentsIdentical(leaderLog.dir(), followerLog.dir());
  }
}
