package dev.sluice.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The expansion race (issue 8, item 3): a replica that rejoins the in-sync set may be elected at
 * once; the leader must not have acknowledged a record that replica lacks. Before the fix the
 * leader counted a new member only once the controller had answered, so in between it could commit
 * records without it.
 *
 * <p>Three node JVMs, {@code min-in-sync-replicas = 2}, {@code replica-lag-time-max = 3s}, a writer
 * sending acks=all records without pause. Each cycle: the partition's first follower in replica
 * order (F, the one the controller elects first after the leader) is killed, leaves the in-sync
 * set, is restarted and catches up under the writes; the moment the controller lists it in the
 * in-sync set again, the leader is killed with SIGKILL, so F is elected while the leader's last
 * acknowledgements are as fresh as they can be. After the cycles every acknowledged record must be
 * at its offset on every replica, read from disk.
 */
class InSyncExpansionRaceIT {
  private static final String TOPIC = "e";
  private static final int CYCLES = 3;
  private static final Duration STEP = Duration.ofSeconds(90);

  @TempDir Path dir;
  private NodeCluster cluster;
  private final AtomicBoolean writing = new AtomicBoolean(true);
  private final AtomicBoolean stopped = new AtomicBoolean(false);
  private final Map<Long, byte[]> acknowledged = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();

  @AfterEach
  void stop() {
    stopped.set(true);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aReplicaElectedRightAfterRejoiningHoldsEveryAcknowledgedRecord() throws Exception {
    cluster =
        NodeCluster.builder(dir)
            .set("sluice.replication.min-in-sync-replicas", "2")
            .set("sluice.replication.replica-lag-time-max", "3s")
            .start();
    cluster.createTopic(TOPIC, 1, 3, NodeCluster.STARTUP);
    cluster.awaitFullyInSync(TOPIC, STEP);
    ProduceClient client = new ProduceClient(cluster, Duration.ofSeconds(10));
    Thread writer = new Thread(() -> write(client), "expansion-race-writer");
    writer.start();

    for (int cycle = 0; cycle < CYCLES; cycle++) {
      TopicState.PartitionState p = cluster.awaitFullyInSync(TOPIC, STEP).partition(0);
      int leader = p.leader();
      int joining = p.followers().get(0);
      long before = acknowledged.size();
      cluster.kill9(joining);
      awaitInSync(joining, false);
      cluster.start(joining);
      // Every member must see it Up before the leader dies: the split brain resolver counts Up
      // members only, and two survivors of which one is still joining would down themselves.
      cluster.awaitStarted(joining, NodeCluster.STARTUP);
      cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);
      awaitInSync(joining, true);
      cluster.kill9(leader); // at once: the joining replica is the controller's first choice
      TopicState.PartitionState next =
          Await.value(
              () ->
                  cluster
                      .describe(TOPIC)
                      .map(t -> t.partition(0))
                      .filter(q -> q.hasLeader() && q.leader() != leader),
              STEP,
              Duration.ofMillis(100),
              "a new leader after node " + leader + " was killed",
              () -> cluster.describe(TOPIC).map(Object::toString).orElse("no answer"));
      System.out.println(
          "cycle "
              + cycle
              + ": node "
              + joining
              + " rejoined, node "
              + leader
              + " killed, node "
              + next.leader()
              + " leads at epoch "
              + next.leaderEpoch()
              + "; "
              + (acknowledged.size() - before)
              + " records acknowledged in the cycle");
      cluster.start(leader);
      cluster.awaitStarted(leader, NodeCluster.STARTUP);
      cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);
    }
    writing.set(false);
    writer.join(Duration.ofSeconds(30).toMillis());
    cluster.awaitConverged(TOPIC, List.of(0), STEP);
    assertTrue(acknowledged.size() > 0, "records were acknowledged");
    assertEquals(List.of(), cluster.stopAll(Duration.ofSeconds(60)), "clean stop");

    try (ReplicaLogs logs = ReplicaLogs.open(cluster, TOPIC, 0, cluster.nodes())) {
      List<String> lost = new ArrayList<>();
      for (Map.Entry<Long, byte[]> ack : acknowledged.entrySet()) {
        for (int node : cluster.nodes()) {
          Optional<byte[]> held = logs.value(node, ack.getKey());
          if (held.isEmpty() || !Arrays.equals(ack.getValue(), held.get())) {
            lost.add("offset " + ack.getKey() + " on node " + node);
          }
        }
      }
      assertEquals(
          List.of(),
          lost.subList(0, Math.min(10, lost.size())),
          lost.size() + " acknowledged records missing or changed of " + acknowledged.size());
      ReplicaLogs.Comparison c = logs.compare();
      assertTrue(c.identical(), "replicas identical: " + c.firstDifference().orElse(""));
    }
  }

  private void awaitInSync(int node, boolean member) throws InterruptedException {
    Await.value(
        () ->
            cluster
                .describe(TOPIC)
                .map(t -> t.partition(0))
                .filter(q -> q.inSync().contains(node) == member),
        STEP,
        Duration.ofMillis(20),
        "node " + node + (member ? " back in" : " out of") + " the in-sync set",
        () -> cluster.describe(TOPIC).map(Object::toString).orElse("no answer"));
  }

  /** Writes without pause until told to stop; keeps what was acknowledged. */
  private void write(ProduceClient client) {
    while (writing.get() && !stopped.get()) {
      byte[] value = ("record " + sequence.incrementAndGet()).getBytes(UTF_8);
      ProduceClient.Outcome o = client.produce(TOPIC, 0, value, ProduceClient.Acks.ALL);
      if (o instanceof ProduceClient.Acked a) {
        acknowledged.put(a.offset(), value);
      } else {
        try {
          Thread.sleep(50); // a client's back-off after a failed request
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }
}
