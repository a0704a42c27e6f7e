package dev.sluice.replication.transfer;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.*;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.leader.PartitionLeader;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.testing.ReplicationHarness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One connection per partition replica must hold a thousand partitions on one node, on the
 * production path: a {@code PartitionLeader} and its {@code LeaderHandle} per partition behind one
 * replication server, and a {@code FollowerReplica} per partition. Every follower catches up,
 * including one batch per partition larger than peer-max-bytes, and every leader's high watermark
 * reaches the end: the leaders counted the followers' reports.
 *
 * <p>Takes about 10 s on a two-core machine (1,000 leader actors, their appends and 1,000 follower
 * appliers share the one blocking-IO pool of 16 threads).
 */
class ThousandPartitionReplicasCatchUpTest {
  private static final int PARTITIONS = 1000;
  private static final int LIMIT = 4096;
  private static final long END = 4;
  // Page-cache flushing: the test is about connections, not about 4000 fsyncs on a slow disk.
  private static final StorageSettings STORAGE =
      new StorageSettings(1 << 20, 4096, 64 * 1024, FlushPolicy.OS, -1, Duration.ZERO);
  private static final TransferSettings SETTINGS =
      new TransferSettings(
          LIMIT,
          Duration.ofSeconds(1),
          Duration.ofSeconds(20),
          Duration.ofSeconds(20),
          new BackoffSettings(Duration.ofMillis(100), Duration.ofSeconds(2), 0.2),
          0);

  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyFollowerOfAThousandPartitionsCatchesUpAndEveryLeaderCommits(@TempDir Path tmp)
      throws Exception {
    List<PartitionId> ids =
        IntStream.range(0, PARTITIONS).mapToObj(p -> new PartitionId("t", p)).toList();
    try (ReplicationHarness h = ReplicationHarness.start(testKit, tmp, STORAGE, SETTINGS, ids)) {
      h.lead(1);
      List<CompletableFuture<PartitionLeader.AppendReply>> appends = new ArrayList<>();
      for (PartitionId id : ids) {
        int p = id.partition();
        appends.add(
            append(
                h,
                id,
                Record.of(null, new byte[100], TIMESTAMP),
                Record.of(null, new byte[200], TIMESTAMP)));
        appends.add(append(h, id, Record.of(null, new byte[3 * LIMIT + p], TIMESTAMP))); // chunked
        appends.add(append(h, id, Record.of(null, new byte[50], TIMESTAMP)));
      }
      for (CompletableFuture<PartitionLeader.AppendReply> a : appends) {
        assertInstanceOf(PartitionLeader.Appended.class, a.get(60, TimeUnit.SECONDS));
      }
      for (PartitionId id : ids) {
        assertEquals(END, h.leaderLog(id).logEndOffset(), id.toString());
        h.startFollower(h.followerSetup(id, SETTINGS, new FollowerStatus()));
      }

      testKit
          .createTestProbe()
          .awaitAssert(
              Duration.ofSeconds(120),
              Duration.ofMillis(200),
              () -> {
                long behind =
                    ids.stream().filter(id -> h.followerLog(id).logEndOffset() < END).count();
                assertEquals(0, behind, behind + " followers behind");
                long uncommitted =
                    ids.stream().filter(id -> h.leaderLog(id).highWatermark() < END).count();
                assertEquals(0, uncommitted, uncommitted + " leaders below high watermark " + END);
                return null;
              });
    }
  }

  /** Sends the append to the leader actor without waiting; a thousand leaders append at once. */
  private static CompletableFuture<PartitionLeader.AppendReply> append(
      ReplicationHarness h, PartitionId id, Record... records) {
    return h.leader(id)
        .append(
            (log, epoch) -> log.appendRecords(List.of(records), epoch),
            false,
            Duration.ofSeconds(60))
        .toCompletableFuture();
  }
}
