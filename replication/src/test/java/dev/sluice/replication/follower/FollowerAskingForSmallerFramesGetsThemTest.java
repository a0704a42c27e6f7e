package dev.sluice.replication.follower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.testing.ReplicationHarness;
import dev.sluice.replication.transfer.FollowerEvent;
import dev.sluice.replication.transfer.FollowerTransfer;
import dev.sluice.replication.transfer.TransferSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watchdog's "smaller frames" escalation end to end, over real TCP against the production
 * leader: a follower told {@code LimitFrames(8)} asks for frames of peer-max-bytes / 8 in its
 * handshake, and the leader sends no frame (packed batches or chunks of an oversized batch) above
 * that; {@code LimitFrames(1)} and a restart bring full frames back. Frame sizes are read from the
 * attempt's events: one {@code Appended} per batches frame, one {@code ChunkStaged} per chunk.
 */
class FollowerAskingForSmallerFramesGetsThemTest {
  private static final int KiB = 1 << 10;
  private static final int MiB = 1 << 20;
  private static final PartitionId PID = new PartitionId("orders", 0);
  private static final StorageSettings STORAGE = StorageSettings.of(70L * MiB, 65L * MiB);
  private static final TransferSettings SETTINGS =
      new TransferSettings(
          MiB,
          Duration.ofMillis(200),
          Duration.ofSeconds(5),
          Duration.ofSeconds(5),
          new BackoffSettings(Duration.ofMillis(20), Duration.ofMillis(200), 0.0),
          4 * MiB);

  static final ActorTestKit testKit = ActorTestKit.create();

  @TempDir Path tmp;
  private ReplicationHarness harness;
  private PartitionLog leaderLog;
  private PartitionLog followerLog;
  private final List<FollowerEvent> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    harness = ReplicationHarness.start(testKit, tmp, STORAGE, SETTINGS, PID);
    harness.lead(1);
    leaderLog = harness.leaderLog(PID);
    followerLog = harness.followerLog(PID);
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aFollowerAskingForAnEighthOfPeerMaxBytesGetsNoLargerFrame() throws Exception {
    for (int i = 0; i < 40; i++) {
      append(30 * KiB + i); // packs into frames: 4 per 128 KiB frame, 34 per 1 MiB frame
    }
    append(3L * MiB + 5);
    FollowerStatus status = new FollowerStatus();
    AtomicBoolean leaderKnown = new AtomicBoolean(false);
    FollowerSetup setup =
        harness
            .followerSetup(
                PID,
                SETTINGS,
                status,
                node ->
                    node == ReplicationHarness.LEADER_NODE && leaderKnown.get()
                        ? Optional.of(harness.address())
                        : Optional.empty())
            .withAttempts(
                (system, session, address, settings) ->
                    FollowerTransfer.attempt(system, session, address, settings)
                        .wireTap(events::add));
    ActorRef<FollowerReplica.Command> follower = harness.startFollower(setup);
    // No leader address yet, so no attempt can start before the limit is set.
    follower.tell(new FollowerReplica.LimitFrames(8));
    testKit
        .createTestProbe()
        .awaitAssert(
            () -> {
              assertEquals(8, status.snapshot().frameLimitDivisor());
              return null;
            });
    leaderKnown.set(true);

    awaitInSync(status);
    List<Long> small = frameSizes(events);
    int limited = SETTINGS.limitedFrameBytes(8);
    assertEquals(128 * KiB, limited);
    assertHandshakesAsked(limited);
    assertTrue(small.stream().allMatch(n -> n <= limited), "frames above " + limited + small);
    assertTrue(small.contains((long) limited), "the oversized batch went in 128 KiB chunks");
    assertTrue(small.size() >= 10 + 24, "40 small batches and 3 MiB in 128 KiB frames: " + small);

    // Full frames again: applies from the next connection. The events are cleared before the
    // restart, so the new connection's handshake is among them, and the batch is appended only
    // once that connection asked for full frames.
    events.clear();
    follower.tell(new FollowerReplica.LimitFrames(1));
    follower.tell(new FollowerReplica.RestartTransfer("test: full frames"));
    testKit
        .createTestProbe()
        .awaitAssert(
            () -> {
              assertTrue(
                  events.stream()
                      .anyMatch(
                          e ->
                              e instanceof FollowerEvent.Connecting c
                                  && c.hello().maxFrameBytes() == MiB),
                  "a handshake asking for full frames: " + events);
              return null;
            });
    append(3L * MiB + 7);
    awaitInSync(status);
    List<Long> full = frameSizes(events);
    assertHandshakesAsked(MiB);
    assertTrue(full.contains((long) MiB), "1 MiB chunks again: " + full);
    assertFalse(full.stream().anyMatch(n -> n > MiB), full.toString());
    assertSegmentsIdentical();

    harness.stopFollower(follower);
  }

  private void assertHandshakesAsked(int maxFrameBytes) {
    List<FollowerEvent.Connecting> hellos =
        events.stream()
            .filter(e -> e instanceof FollowerEvent.Connecting)
            .map(e -> (FollowerEvent.Connecting) e)
            .toList();
    assertFalse(hellos.isEmpty());
    for (FollowerEvent.Connecting c : hellos) {
      assertEquals(maxFrameBytes, c.hello().maxFrameBytes(), c.toString());
    }
  }

  /**
   * Payload sizes of the frames that arrived: a chunk's bytes, or a batches frame's bytes (the
   * {@code Appended} that completes an oversized batch is not a frame of its own).
   */
  private static List<Long> frameSizes(List<FollowerEvent> events) {
    List<Long> sizes = new ArrayList<>();
    boolean completing = false;
    for (FollowerEvent e : events) {
      if (e instanceof FollowerEvent.ChunkStaged c) {
        sizes.add(c.writtenBytes() + c.skippedBytes());
        completing = c.stagedBytes() >= c.totalLength();
      } else if (e instanceof FollowerEvent.Appended a) {
        if (!completing) {
          sizes.add(a.bytes());
        }
        completing = false;
      }
    }
    return sizes;
  }

  private void awaitInSync(FollowerStatus status) {
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(30),
        Duration.ofMillis(20),
        () -> {
          FollowerStatus.Snapshot s = status.snapshot();
          assertEquals(FollowerState.IN_SYNC, s.state(), s::toString);
          assertEquals(leaderLog.logEndOffset(), followerLog.logEndOffset(), s::toString);
          return null;
        });
  }

  /** Appends a one-record batch of exactly {@code totalSize} bytes through the leader. */
  private void append(long totalSize) throws Exception {
    harness.appendBatchOfSize(PID, totalSize);
  }

  private void assertSegmentsIdentical() throws IOException {
    LogFixtures.assertSegmentsIdentical(leaderLog.dir(), followerLog.dir());
  }
}
