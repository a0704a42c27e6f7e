package dev.sluice.replication.follower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.testing.ReplicationHarness;
import dev.sluice.replication.transfer.TransferSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The incident of docs/incident.md through the follower FSM and the production leader, over real
 * TCP with real logs: a follower catches up, is stopped and its log reopened (a node restart), the
 * leader meanwhile appends batches around and far above peer-max-bytes (1 MiB), and a new follower
 * on the same log reaches {@code inSync} with segment files byte-identical to the leader's.
 */
class FollowerRestartThenOversizedBatchCatchesUpTest {
  private static final int MiB = 1 << 20;
  private static final PartitionId PID = new PartitionId("orders", 0);
  private static final StorageSettings STORAGE = StorageSettings.of(70L * MiB, 65L * MiB);
  private static final TransferSettings SETTINGS =
      new TransferSettings(
          MiB,
          Duration.ofMillis(200),
          Duration.ofSeconds(5),
          Duration.ofSeconds(5),
          new BackoffSettings(Duration.ofMillis(50), Duration.ofMillis(500), 0.1),
          4 * MiB);

  static final ActorTestKit testKit = ActorTestKit.create();

  @TempDir Path tmp;
  private ReplicationHarness harness;
  private PartitionLog leaderLog;
  private PartitionLog followerLog;

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
  void followerRestartThenOversizedBatchesCatchUpToInSyncByteIdentically() throws Exception {
    for (int i = 0; i < 20; i++) {
      append(1000 + 37 * i);
    }
    FollowerStatus before = new FollowerStatus();
    ActorRef<FollowerReplica.Command> first = harness.startFollower(setup(before));
    awaitInSync(before);
    assertSegmentsIdentical();

    // The follower node restarts: its actor stops, its log is closed and reopened.
    harness.stopFollower(first);
    followerLog = harness.reopenFollowerLog(PID);

    for (long size : new long[] {MiB - 1, MiB, MiB + 1, 8L * MiB, 64L * MiB}) {
      append(size);
    }
    assertEquals(2, leaderLog.segmentCount(), "the 64 MiB batch rolls a second segment");

    FollowerStatus after = new FollowerStatus();
    ActorRef<FollowerReplica.Command> second = harness.startFollower(setup(after));
    awaitInSync(after);
    assertSegmentsIdentical();
    FollowerStatus.Snapshot s = after.snapshot();
    assertEquals(0, s.stagedBytes());
    assertTrue(
        s.bytesReceived() >= leaderLog.sizeInBytes() - 20 * 2000,
        "the new batches arrived through this follower: " + s);
    assertEquals(1, s.attempts(), "no attempt failed: " + s);
    assertEquals(0, s.resentBytes(), s.toString());

    harness.stopFollower(second);
  }

  private FollowerSetup setup(FollowerStatus status) {
    return harness.followerSetup(PID, SETTINGS, status);
  }

  private void awaitInSync(FollowerStatus status) {
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(60),
        Duration.ofMillis(50),
        () -> {
          FollowerStatus.Snapshot s = status.snapshot();
          assertEquals(FollowerState.IN_SYNC, s.state(), s::toString);
          assertEquals(leaderLog.logEndOffset(), s.logEndOffset(), s::toString);
          assertEquals(leaderLog.logEndOffset(), followerLog.logEndOffset());
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
