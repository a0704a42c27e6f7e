package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preferred-leader balance after a rolling restart: three node JVMs, a topic of three partitions
 * (each node the preferred leader of one), an acks=all writer running throughout, and every node
 * stopped and started again in turn. Without balance the leaders would end on the nodes restarted
 * first; with {@code sluice.controller.auto-leader-balance = on} each partition is led by its
 * preferred replica again once that replica is back in sync, and every acknowledged record is
 * readable, unchanged, from the final leaders.
 */
class LeadersReturnToPreferredReplicasIT {
  private static final String TOPIC = "balanced";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private NodeCluster cluster;

  private record Written(int partition, long offset, byte[] value) {}

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void afterARollingRestartEveryPartitionIsLedByItsPreferredReplica() throws Exception {
    cluster =
        NodeCluster.builder(dir)
            .set("sluice.replication.min-in-sync-replicas", "2")
            .set("sluice.controller.auto-leader-balance", "on")
            .set("sluice.controller.leader-balance.interval", "1s")
            .start();
    cluster.createTopic(TOPIC, 3, 3, NodeCluster.STARTUP);
    ProduceClient client = new ProduceClient(cluster, Duration.ofSeconds(10));
    List<Written> acknowledged = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 0; writing.get(); i++) {
                  int partition = i % 3;
                  byte[] value = ("record-" + i).getBytes(StandardCharsets.UTF_8);
                  if (client.produce(TOPIC, partition, value, ProduceClient.Acks.ALL)
                      instanceof ProduceClient.Acked acked) {
                    acknowledged.add(new Written(partition, acked.offset(), value));
                  } else {
                    Thread.sleep(50); // a client's back-off after a failed request
                  }
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "writer");
    writer.start();

    try {
      for (int node : cluster.nodes()) {
        cluster.stop(node);
        cluster.start(node);
        cluster.awaitStarted(node, NodeCluster.STARTUP);
        cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);
        cluster.awaitFullyInSync(TOPIC, WAIT);
      }
      TopicState balanced =
          Await.value(
              () ->
                  cluster.describe(TOPIC).filter(LeadersReturnToPreferredReplicasIT::preferredLead),
              WAIT,
              Duration.ofMillis(250),
              "every partition is led by its preferred replica with a full in-sync set",
              () -> String.valueOf(cluster.describe(TOPIC)));
      for (TopicState.PartitionState p : balanced.partitions()) {
        assertTrue(p.leaderEpoch() > 0, "partition " + p.partition() + " changed leaders: " + p);
      }
    } finally {
      writing.set(false);
      writer.join();
    }

    long moves =
        cluster.nodes().stream()
            .flatMap(n -> cluster.jvm(n).output().stream())
            .filter(l -> l.contains("leadership back to its preferred replica"))
            .count();
    assertTrue(moves >= 1, "the controller moved leadership back (log lines: " + moves + ")");
    assertTrue(acknowledged.size() > 10, "the writer got acknowledgements: " + acknowledged.size());
    cluster.awaitConverged(TOPIC, WAIT);
    // A sample through the API, from the final leaders ...
    for (Written w :
        acknowledged.subList(Math.max(0, acknowledged.size() - 30), acknowledged.size())) {
      int leader = cluster.leaderOf(TOPIC, w.partition());
      HttpResponse<byte[]> r = client.read(leader, TOPIC, w.partition(), w.offset());
      assertEquals(200, r.statusCode(), "record " + w.partition() + "@" + w.offset());
      assertArrayEquals(w.value(), r.body(), "record " + w.partition() + "@" + w.offset());
    }
    // ... and every acknowledged record on every replica's disk, identical where they overlap.
    assertEquals(List.of(), cluster.stopAll(Duration.ofSeconds(60)), "clean stop");
    for (int partition = 0; partition < 3; partition++) {
      try (ReplicaLogs logs = ReplicaLogs.open(cluster, TOPIC, partition, cluster.nodes())) {
        for (Written w : acknowledged) {
          if (w.partition() != partition) {
            continue;
          }
          for (int node : cluster.nodes()) {
            assertArrayEquals(
                w.value(),
                logs.value(node, w.offset()).orElse(null),
                "acknowledged record " + partition + "@" + w.offset() + " on node " + node);
          }
        }
        ReplicaLogs.Comparison c = logs.compare();
        assertTrue(c.identical(), "replicas identical: " + c.firstDifference());
      }
    }
  }

  /** Every partition led by its first replica, with every replica in sync. */
  private static boolean preferredLead(TopicState topic) {
    for (TopicState.PartitionState p : topic.partitions()) {
      if (!p.fullyInSync() || p.leader() != p.replicaNodes().get(0)) {
        return false;
      }
    }
    return true;
  }
}
