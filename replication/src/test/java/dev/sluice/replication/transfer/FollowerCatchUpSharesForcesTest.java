package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.RecordingSyncer;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.leader.InSyncState;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.testing.ReplicationHarness;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A catching-up follower shares forces between frames and still reports only durable positions:
 * with its first force held, it goes on applying every frame of the backlog, the leader hears of no
 * position past the follower's forced end, and once the force is released one more force covers
 * everything. Production leader and follower over real TCP, the follower's forces counted and held
 * by a {@link RecordingSyncer}.
 */
class FollowerCatchUpSharesForcesTest {
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

  /** Two never fit one frame of 1 MiB: each is a frame of its own. */
  private static final int BATCH_BYTES = 600 * 1024;

  private static final int BATCHES = 20;

  static final ActorTestKit testKit = ActorTestKit.create();

  @TempDir Path tmp;
  private ReplicationHarness harness;

  @AfterEach
  void tearDown() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void framesAppliedDuringAForceShareTheNextOneAndNoUnforcedPositionIsReported() throws Exception {
    harness = ReplicationHarness.start(testKit, tmp, STORAGE, SETTINGS, PID);
    harness.lead(1);
    PartitionLog leaderLog = harness.leaderLog(PID);
    for (int i = 0; i < BATCHES; i++) {
      harness.appendBatchOfSize(PID, BATCH_BYTES);
    }
    harness.appendBatchOfSize(PID, 3L * MiB + 5); // staged in 4 chunks
    harness.appendBatchOfSize(PID, BATCH_BYTES);
    long end = leaderLog.logEndOffset();
    assertEquals(BATCHES + 2, end);

    RecordingSyncer syncer = new RecordingSyncer();
    PartitionLog followerLog = harness.reopenFollowerLog(PID, syncer);
    syncer.block();
    harness.startFollower(harness.followerSetup(PID, SETTINGS, new FollowerStatus()));

    // The first force is held; the frames after it are applied meanwhile.
    await(
        () -> {
          assertEquals(1, syncer.waiting(), "the first flush holds its force");
          assertEquals(end, followerLog.logEndOffset(), "every frame applied meanwhile");
        });
    assertEquals(0, followerLog.flushedOffset());
    InSyncState.FollowerPosition held =
        harness.leader(PID).view().followers().get(ReplicationHarness.FOLLOWER_NODE);
    assertTrue(
        held == null || held.logEndOffset() <= followerLog.flushedOffset(),
        "the leader heard of " + held + " while nothing was forced");
    assertEquals(0, leaderLog.highWatermark(), "nothing committed on unforced follower bytes");

    syncer.release();
    await(
        () -> {
          InSyncState.FollowerPosition p =
              harness.leader(PID).view().followers().get(ReplicationHarness.FOLLOWER_NODE);
          assertEquals(end, p.logEndOffset(), "the last position reported");
          assertEquals(end, leaderLog.highWatermark(), "committed");
        });
    assertEquals(end, followerLog.flushedOffset());
    Path segment = followerLog.read(0, 1).slices().get(0).segmentFile();
    assertEquals(
        2,
        syncer.forces(segment),
        "the held force and one for every frame applied while it was held, for "
            + (BATCHES + 5)
            + " frames");
  }

  private static void await(Runnable check) {
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(20),
            () -> {
              check.run();
              return null;
            });
  }
}
