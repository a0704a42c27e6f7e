package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.*;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.record.Record;
import dev.sluice.replication.protocol.PartitionId;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One connection per partition replica must hold a thousand partitions on one node: every follower
 * catches up, including one batch per partition larger than peer-max-bytes.
 */
class ThousandPartitionReplicasCatchUpTest {
  private static final int PARTITIONS = 1000;
  private static final int LIMIT = 4096;
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
  void everyFollowerOfAThousandPartitionsCatchesUp(@TempDir Path tmp) throws Exception {
    Map<PartitionId, LeaderPartition> leaders = new HashMap<>();
    List<PartitionLog> logs = new ArrayList<>();
    List<PartitionLog> followerLogs = new ArrayList<>();
    List<FollowerTransfer.Control> controls = new ArrayList<>();
    LeaderTransferServer server = null;
    try {
      for (int p = 0; p < PARTITIONS; p++) {
        PartitionLog log =
            PartitionLog.open(tmp.resolve("leader/t-" + p), STORAGE, Clock.systemUTC());
        logs.add(log);
        log.appendRecords(
            List.of(Record.of(null, new byte[100]), Record.of(null, new byte[200])), 1);
        log.appendRecords(List.of(Record.of(null, new byte[3 * LIMIT + p])), 1); // chunked
        log.appendRecords(List.of(Record.of(null, new byte[50])), 1);
        leaders.put(new PartitionId("t", p), new LocalLeaderPartition(log, 1));
      }
      server =
          LeaderTransferServer.bind(
                  testKit.system(),
                  "127.0.0.1",
                  0,
                  id -> Optional.ofNullable(leaders.get(id)),
                  SETTINGS)
              .toCompletableFuture()
              .get(5, TimeUnit.SECONDS);
      LeaderTransferServer s = server;
      for (int p = 0; p < PARTITIONS; p++) {
        PartitionLog f =
            PartitionLog.open(tmp.resolve("follower/t-" + p), STORAGE, Clock.systemUTC());
        followerLogs.add(f);
        controls.add(
            FollowerTransfer.start(
                testKit.system(),
                new FollowerSession(2, new PartitionId("t", p), f, () -> 1),
                s::address,
                SETTINGS,
                e -> {}));
      }
      testKit
          .createTestProbe()
          .awaitAssert(
              Duration.ofSeconds(120),
              Duration.ofMillis(200),
              () -> {
                long behind = followerLogs.stream().filter(f -> f.logEndOffset() < 4).count();
                assertEquals(0, behind, behind + " followers behind");
                return null;
              });
    } finally {
      for (FollowerTransfer.Control c : controls) {
        c.stop();
      }
      for (FollowerTransfer.Control c : controls) {
        c.stopped().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      if (server != null) {
        server.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      for (PartitionLog l : logs) {
        l.close();
      }
      for (PartitionLog l : followerLogs) {
        l.close();
      }
    }
  }
}
