package dev.sluice.replication.follower;

import static dev.sluice.log.testing.LogFixtures.assertSegmentsIdentical;
import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.FetchResult;
import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.testing.ReplicationHarness;
import dev.sluice.replication.transfer.FollowerEvent;
import dev.sluice.replication.transfer.FollowerTransfer;
import dev.sluice.replication.transfer.TransferSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower whose log parts from its leader's (a deposed leader's unreplicated suffix, epochs the
 * leader never had, a log left below the leader's log start by retention) converges to the leader's
 * log by leader epochs alone, over real TCP against the production leader, through the follower
 * FSM's {@code TRUNCATING} state, and ends byte-identical to the leader.
 */
class DivergedFollowerConvergesByEpochTest {
  private static final PartitionId PID = new PartitionId("orders", 0);
  private static final StorageSettings STORAGE = StorageSettings.of(1 << 20, 1 << 19);
  private static final TransferSettings SETTINGS =
      new TransferSettings(
          1 << 20,
          Duration.ofMillis(200),
          Duration.ofSeconds(5),
          Duration.ofSeconds(5),
          new BackoffSettings(Duration.ofMillis(20), Duration.ofMillis(200), 0.0),
          0);

  static final ActorTestKit testKit = ActorTestKit.create();

  @TempDir Path tmp;
  private ReplicationHarness harness;
  private PartitionLog leaderLog;
  private PartitionLog followerLog;
  private final List<FollowerEvent> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aDeposedLeadersUnreplicatedSuffixIsCutAndTheNewLeadersRecordKept() throws Exception {
    open(STORAGE);
    for (int i = 0; i < 5; i++) {
      append(leaderLog, "common-" + i, 1);
    }
    copyAll(leaderLog, followerLog);
    append(followerLog, "x: written alone by the old leader", 2);
    followerLog.updateHighWatermark(5);
    append(leaderLog, "y: acknowledged by the new leader", 3);
    append(leaderLog, "z", 3);
    assertEquals(6, followerLog.logEndOffset(), "offset 5 differs, lengths do not tell");

    follow(4);
    assertSegmentsIdentical(leaderLog.dir(), followerLog.dir());
    assertEquals(List.of(1, 3), epochs(followerLog));
    assertEquals(1, count(FollowerEvent.DivergenceReported.class), "one round: " + events);
  }

  @Test
  void epochsTheLeaderNeverHadAreCutRoundByRound() throws Exception {
    open(STORAGE);
    for (int i = 0; i < 3; i++) {
      append(leaderLog, "common-" + i, 1);
    }
    copyAll(leaderLog, followerLog);
    append(followerLog, "epoch 2, never on the leader", 2);
    append(followerLog, "epoch 2, never on the leader", 2);
    append(followerLog, "epoch 4, never on the leader", 4);
    append(followerLog, "epoch 4, never on the leader", 4);
    append(followerLog, "epoch 4, never on the leader", 4);
    for (int i = 3; i < 6; i++) {
      append(leaderLog, "leader-" + i, 3);
    }

    follow(5);
    assertSegmentsIdentical(leaderLog.dir(), followerLog.dir());
    assertEquals(List.of(1, 3), epochs(followerLog));
    assertEquals(2, count(FollowerEvent.DivergenceReported.class), "epoch 4, then epoch 2");
  }

  @Test
  void aFollowerBelowTheLeadersLogStartRestartsThereOnceAndCatchesUp() throws Exception {
    StorageSettings small =
        new StorageSettings(4096, 4096, 2048, FlushPolicy.EVERY_BATCH, 8192, Duration.ZERO);
    open(small);
    for (int i = 0; i < 2; i++) {
      append(leaderLog, "early-" + i, 1);
    }
    copyAll(leaderLog, followerLog);
    for (int i = 2; i < 60; i++) {
      append(leaderLog, "later-" + i + "-".repeat(300), 1);
    }
    leaderLog.updateHighWatermark(leaderLog.logEndOffset());
    assertTrue(leaderLog.applyRetention() > 0);
    long leaderStart = leaderLog.logStartOffset();
    assertTrue(leaderStart > followerLog.logEndOffset(), "retention passed the follower");

    follow(1);
    assertEquals(leaderStart, followerLog.logStartOffset());
    assertSegmentsIdentical(leaderLog.dir(), followerLog.dir());
    assertEquals(1, count(FollowerEvent.DivergenceReported.class), "restarted once, no loop");
  }

  // ---- helpers ----

  /** The leader's and the follower's logs, written directly until {@link #follow} starts. */
  private void open(StorageSettings storage) throws Exception {
    harness = ReplicationHarness.start(testKit, tmp, storage, SETTINGS, PID);
    leaderLog = harness.leaderLog(PID);
    followerLog = harness.followerLog(PID);
  }

  /** Runs the follower FSM against the leader at {@code epoch} until both logs end alike. */
  private void follow(int epoch) {
    harness.lead(epoch);
    FollowerStatus status = new FollowerStatus();
    FollowerSetup setup =
        harness
            .followerSetup(PID, SETTINGS, status)
            .withAttempts(
                (system, session, address, settings) ->
                    FollowerTransfer.attempt(system, session, address, settings)
                        .wireTap(events::add));
    ActorRef<FollowerReplica.Command> follower = harness.startFollower(setup);
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(20),
            () -> {
              assertEquals(FollowerState.IN_SYNC, status.snapshot().state());
              assertEquals(leaderLog.logEndOffset(), followerLog.logEndOffset());
              return null;
            });
    harness.stopFollower(follower);
  }

  private static void append(PartitionLog log, String value, int epoch) throws IOException {
    log.appendRecords(
        List.of(Record.of(null, value.getBytes(StandardCharsets.UTF_8), TIMESTAMP)), epoch);
  }

  /** Copies every batch of {@code from} to {@code to} byte for byte, as replication would. */
  private static void copyAll(PartitionLog from, PartitionLog to) throws IOException {
    FetchResult all = from.read(from.logStartOffset(), Long.MAX_VALUE);
    for (LogSlice s : all.slices()) {
      ByteBuffer bytes = ByteBuffer.allocate((int) s.length());
      try (FileChannel ch = FileChannel.open(s.segmentFile(), StandardOpenOption.READ)) {
        while (bytes.hasRemaining()) {
          ch.read(bytes, s.position() + bytes.position());
        }
      }
      bytes.flip();
      to.appendBatches(bytes);
    }
  }

  private static List<Integer> epochs(PartitionLog log) {
    return log.leaderEpochs().stream().map(e -> e.epoch()).toList();
  }

  private long count(Class<? extends FollowerEvent> type) {
    return events.stream().filter(type::isInstance).count();
  }
}
