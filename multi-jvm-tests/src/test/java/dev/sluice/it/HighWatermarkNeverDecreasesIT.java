package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, "HW across failover": no replica's high watermark ever moves backwards while leaders are
 * killed.
 *
 * <p>Three node JVMs, {@code min-in-sync-replicas = 2}, two partitions x RF 3, one writer sending
 * {@code acks=all} records to both partitions throughout. Three times in a row, the leader of
 * partition 0 is killed with SIGKILL; once a new leader is in place the killed node is restarted
 * and rejoins, and the next round starts when every partition has its full in-sync set again and
 * more records were acknowledged. {@link HighWatermarkMonitor} samples every replica's high
 * watermark every 100 ms on its own node; none may go down within one incarnation of the replica
 * (across the restart of its node it may, see {@link HighWatermarkHistory}).
 *
 * <p>Each kill lands while the writer is busy; the writer then holds its next record until the new
 * leader is in place and the monitor has sampled the survivors for about a second. A new leader
 * whose high watermark is behind a follower's (the follower heard of a later one from the old
 * leader) would pull that follower's back; with no write to move it forward again at once, the drop
 * lasts long enough to be seen.
 */
class HighWatermarkNeverDecreasesIT {
  private static final String TOPIC = "hw";
  private static final int ROUNDS = 3;
  private static final Duration FAILOVER = Duration.ofSeconds(90);

  /** About a second of samples: 2 surviving nodes x 2 replicas each, every 100 ms. */
  private static final int SAMPLES_AFTER_FAILOVER = 40;

  @TempDir Path dir;
  private NodeCluster cluster;
  private volatile boolean writing = true;

  @AfterEach
  void stop() {
    writing = false;
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void noReplicasHighWatermarkGoesDownWhileLeadersAreKilled() throws Exception {
    cluster = NodeCluster.builder(dir).set("sluice.replication.min-in-sync-replicas", "2").start();
    cluster.createTopic(TOPIC, 2, 3, NodeCluster.STARTUP);
    ProduceClient client = new ProduceClient(cluster, Duration.ofSeconds(10));
    AtomicLong acked = new AtomicLong();
    // Held by the test to stop writing while a failover settles (see the class comment).
    ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    Thread writer =
        new Thread(
            () -> {
              for (long seq = 0; writing; seq++) {
                ProduceClient.Outcome o;
                gate.readLock().lock();
                try {
                  o =
                      client.produce(
                          TOPIC,
                          (int) (seq % 2),
                          CheckerValues.value(0, seq, 200),
                          ProduceClient.Acks.ALL);
                } finally {
                  gate.readLock().unlock();
                }
                if (o instanceof ProduceClient.Acked) {
                  acked.incrementAndGet();
                } else {
                  try {
                    Thread.sleep(50); // a client's back-off after a failed request
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              }
            },
            "hw-writer");
    HighWatermarkMonitor monitor =
        new HighWatermarkMonitor(cluster, Duration.ofMillis(100)).start();
    try {
      writer.start();
      for (int round = 1; round <= ROUNDS; round++) {
        long before = acked.get();
        Await.until(
            () -> acked.get() > before + 20, FAILOVER, "records acknowledged in round " + round);
        int leader = cluster.awaitFullyInSync(TOPIC, FAILOVER).partition(0).leader();
        int epoch = cluster.describe(TOPIC).orElseThrow().partition(0).leaderEpoch();
        cluster.kill9(leader);
        gate.writeLock().lock();
        try {
          Await.value(
              () ->
                  cluster
                      .describe(TOPIC)
                      .map(t -> t.partition(0))
                      .filter(
                          p -> p.hasLeader() && p.leader() != leader && p.leaderEpoch() > epoch),
              FAILOVER,
              Duration.ofMillis(250),
              "partition 0 has a new leader after node " + leader + " was killed",
              () -> cluster.describe(TOPIC).map(Object::toString).orElse("no answer"));
          long seen = monitor.history().samples();
          Await.until(
              () -> monitor.history().samples() > seen + SAMPLES_AFTER_FAILOVER,
              FAILOVER,
              "the monitor sampled the survivors under the new leader");
        } finally {
          gate.writeLock().unlock();
        }
        cluster.start(leader);
        cluster.awaitStarted(leader, NodeCluster.STARTUP);
        cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);
        System.out.println(
            "round " + round + ": killed and restarted node " + leader + "; " + monitor.summary());
      }
      long before = acked.get();
      Await.until(
          () -> acked.get() > before + 20, FAILOVER, "records acknowledged after the last round");
      writing = false;
      writer.join();
      cluster.awaitCaughtUp(TOPIC, List.of(0, 1), FAILOVER);
    } finally {
      monitor.close();
    }
    System.out.println("high watermark monitor: " + monitor.summary());
    assertEquals(Optional.empty(), monitor.shapeProblem(), "the monitor can read /replicas");
    assertTrue(
        monitor.history().highest(TOPIC + "-0") > 0 && monitor.history().highest(TOPIC + "-1") > 0,
        "the monitor saw the high watermarks move: " + monitor.summary());
    assertEquals(List.of(), monitor.decreases(), "high watermarks that went down");
  }
}
