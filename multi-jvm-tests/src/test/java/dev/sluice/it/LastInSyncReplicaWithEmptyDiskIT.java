package dev.sluice.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, item 3: the last in-sync replica returning with an empty disk is not elected.
 *
 * <p>Three node JVMs, {@code replica-lag-time-max = 2s}, {@code min-in-sync-replicas = 1}. A
 * partition's three replicas hold three records. Both followers stop (SIGTERM), the in-sync set
 * shrinks to the leader alone, and the leader acknowledges five more records with {@code acks=all}.
 * The leader is killed. The followers return: the partition is offline (its only in-sync replica is
 * gone, and unclean election is off). The leader's data directory is saved and wiped, and the
 * leader restarts empty: it is a new, empty replica (a new storage id), so the partition must stay
 * offline (leader -1) and neither follower may be truncated (each still ends at offset 3). Then the
 * leader stops, its saved directory is restored and it starts again: it is elected and all eight
 * acknowledged records are readable from it.
 *
 * <p>The partition chosen is one that node 1 does not lead, so that the followers, node 1 among
 * them, can form a cluster while the leader is down (only the first seed node may start one).
 */
class LastInSyncReplicaWithEmptyDiskIT {
  private static final String TOPIC = "t";
  private static final int ON_ALL = 3;
  private static final int ON_LEADER_ALONE = 5;
  private static final Duration FAILOVER = Duration.ofSeconds(90);

  /**
   * How long the empty replica's return is watched: nodes re-register with the controller every 3 s
   * and an election follows a registration at once, so this spans several chances to go wrong.
   */
  private static final Duration HOLD = Duration.ofSeconds(10);

  @TempDir Path dir;
  private NodeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void emptyReturningReplicaIsNotElectedAndTheGoodOneIs() throws Exception {
    cluster = NodeCluster.builder(dir).set("sluice.replication.replica-lag-time-max", "2s").start();
    TopicState topic = cluster.createTopic(TOPIC, 3, 3, NodeCluster.STARTUP);
    TopicState.PartitionState chosen =
        topic.partitions().stream()
            .filter(p -> p.leader() != 1)
            .findFirst()
            .orElseThrow(() -> new AssertionError("node 1 leads every partition: " + topic));
    int partition = chosen.partition();
    int leader = chosen.leader();
    List<Integer> followers = chosen.followers();
    ProduceClient client = new ProduceClient(cluster, Duration.ofSeconds(30));
    List<byte[]> acknowledged = new ArrayList<>();

    for (int i = 0; i < ON_ALL; i++) {
      byte[] v = ("on every replica " + i).getBytes(UTF_8);
      assertEquals(
          new ProduceClient.Acked(i, leader),
          client.produce(TOPIC, partition, v, ProduceClient.Acks.ALL, leader));
      acknowledged.add(v);
    }
    cluster.awaitConverged(TOPIC, List.of(partition), FAILOVER);

    for (int f : followers) {
      cluster.stop(f);
    }
    Await.value(
        () ->
            cluster
                .describe(leader, TOPIC)
                .map(t -> t.partition(partition))
                .filter(p -> p.inSync().equals(List.of(leader))),
        FAILOVER,
        Duration.ofMillis(250),
        "the in-sync set of " + TOPIC + "-" + partition + " is the leader alone",
        () -> cluster.describe(leader, TOPIC).map(Object::toString).orElse("no answer"));
    for (int i = 0; i < ON_LEADER_ALONE; i++) {
      byte[] v = ("on the leader alone " + i).getBytes(UTF_8);
      assertEquals(
          new ProduceClient.Acked(ON_ALL + i, leader),
          client.produce(TOPIC, partition, v, ProduceClient.Acks.ALL, leader));
      acknowledged.add(v);
    }
    cluster.kill9(leader);

    for (int f : followers) {
      cluster.start(f);
    }
    for (int f : followers) {
      cluster.awaitStarted(f, NodeCluster.STARTUP);
    }
    cluster.awaitMembersUp(followers, NodeCluster.STARTUP);
    Await.value(
        () ->
            cluster
                .describe(TOPIC)
                .map(t -> t.partition(partition))
                .filter(p -> !p.hasLeader())
                .filter(p -> followers.stream().allMatch(f -> p.replica(f).leo() == ON_ALL)),
        FAILOVER,
        Duration.ofMillis(250),
        TOPIC + "-" + partition + " is offline and its followers report log end " + ON_ALL,
        () -> cluster.describe(TOPIC).map(Object::toString).orElse("no answer"));

    Path backup = dir.resolve("backup-node-" + leader);
    cluster.copyDataDir(leader, backup);
    cluster.wipeDataDir(leader);
    cluster.start(leader);
    cluster.awaitStarted(leader, NodeCluster.STARTUP);
    cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);
    // The controller logs each node's registration on its host; these outputs all began after
    // the leader was killed, so the line is about the empty incarnation.
    Await.until(
        () ->
            cluster.nodes().stream()
                .anyMatch(n -> cluster.jvm(n).hasOutput("Node " + leader + " is live")),
        FAILOVER,
        "the controller registered node " + leader + " again");
    // A node that has just started learns the other nodes' replica managers through the
    // receptionist a moment after it is Up; until then it describes their replicas as unknown.
    // Wait for every node to see both followers, then require that nothing changes.
    Await.until(
        () -> electedOrTruncated(partition, followers).isEmpty(),
        FAILOVER,
        "every node describes "
            + TOPIC
            + "-"
            + partition
            + " offline with its followers at "
            + ON_ALL);
    Await.holdsFor(
        () -> electedOrTruncated(partition, followers),
        HOLD,
        Duration.ofMillis(250),
        TOPIC
            + "-"
            + partition
            + " offline with untouched followers while node "
            + leader
            + " is empty");

    cluster.stop(leader);
    cluster.restoreDataDir(leader, backup);
    cluster.start(leader);
    cluster.awaitStarted(leader, NodeCluster.STARTUP);
    cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);
    Await.value(
        () ->
            cluster
                .describe(TOPIC)
                .map(t -> t.partition(partition))
                .filter(p -> p.leader() == leader),
        FAILOVER,
        Duration.ofMillis(250),
        "node " + leader + " with its data back leads " + TOPIC + "-" + partition,
        () -> cluster.describe(TOPIC).map(Object::toString).orElse("no answer"));
    for (int offset = 0; offset < acknowledged.size(); offset++) {
      assertArrayEquals(
          acknowledged.get(offset),
          readCommitted(client, leader, partition, offset),
          "acknowledged offset " + offset + " read from node " + leader);
    }
  }

  /** Why the offline partition's state is wrong right now, if it is. */
  private Optional<String> electedOrTruncated(int partition, List<Integer> followers) {
    for (int node : cluster.responsiveNodes()) {
      Optional<TopicState> view = cluster.describe(node, TOPIC);
      if (view.isEmpty()) {
        return Optional.of("node " + node + " did not describe " + TOPIC);
      }
      TopicState.PartitionState p = view.get().partition(partition);
      if (p.hasLeader()) {
        return Optional.of("node " + node + " sees a leader elected: " + p);
      }
      for (int f : followers) {
        if (p.replica(f).leo() != ON_ALL) {
          return Optional.of(
              "node "
                  + node
                  + " sees follower "
                  + f
                  + " at log end "
                  + p.replica(f).leo()
                  + ": "
                  + p);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Reads an acknowledged record. Right after an election a retriable 503 or a redirect may come
   * for a moment; 416 ("not readable") never may: the record was acknowledged.
   */
  private byte[] readCommitted(ProduceClient client, int node, int partition, long offset)
      throws Exception {
    String[] last = {"no answer"};
    return Await.value(
        () -> {
          try {
            HttpResponse<byte[]> r = client.read(node, TOPIC, partition, offset);
            last[0] = r.statusCode() + " " + new String(r.body(), UTF_8);
            assertNotEquals(
                416, r.statusCode(), "acknowledged offset " + offset + " answered " + last[0]);
            return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
          } catch (java.io.IOException e) {
            last[0] = e.toString();
            return Optional.empty();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
          }
        },
        Duration.ofSeconds(30),
        Duration.ofMillis(250),
        "offset " + offset + " is readable from node " + node,
        () -> last[0]);
  }
}
