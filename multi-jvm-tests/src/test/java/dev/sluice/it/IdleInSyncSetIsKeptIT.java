package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, item 1: in-sync membership is about position, not traffic.
 *
 * <p>Three node JVMs, {@code replica-lag-time-max = 3s}, {@code min-in-sync-replicas = 2}, 50
 * partitions x RF 3 and no writes at all. Once every follower has connected, every partition keeps
 * its full in-sync set for three times the lag time (a follower at the leader's end is caught up
 * whether or not anything is written). Then the node leading partition 0 is killed with SIGKILL and
 * restarted: the partitions it led fail over, and the new leaders, which start their terms with no
 * follower positions of their own, take every follower back into the set without a write, and keep
 * the full sets for three times the lag time again. Finally an {@code acks=all} write to every
 * partition succeeds.
 *
 * <p>The sets are read from every node's {@code GET /topics/{t}} every 500 ms; any partition
 * without its full set, or a node that does not answer, fails the check at once.
 */
class IdleInSyncSetIsKeptIT {
  private static final String TOPIC = "idle";
  private static final int PARTITIONS = 50;
  private static final Duration LAG = Duration.ofSeconds(3);
  private static final Duration HOLD = LAG.multipliedBy(3);
  private static final Duration FAILOVER = Duration.ofSeconds(90);

  @TempDir Path dir;
  private NodeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void idlePartitionsKeepTheirFullInSyncSetsAlsoAfterAFailover() throws Exception {
    cluster =
        NodeCluster.builder(dir)
            .set("sluice.replication.min-in-sync-replicas", "2")
            .set("sluice.replication.replica-lag-time-max", LAG.toSeconds() + "s")
            .start();
    TopicState created = cluster.createTopic(TOPIC, PARTITIONS, 3, NodeCluster.STARTUP);
    // The 100 follower connections are TLS handshakes; on a loaded machine some take longer than
    // the lag time to report a first position, and their leader shrinks the set until they do.
    // What this test is about follows: with every follower connected, no write, no shrink.
    cluster.awaitFullyInSync(TOPIC, FAILOVER);

    Await.holdsFor(
        this::partitionWithoutFullSet,
        HOLD,
        Duration.ofMillis(500),
        "full in-sync sets of " + PARTITIONS + " idle partitions");

    int victim = created.partition(0).leader();
    List<TopicState.PartitionState> ledByVictim =
        cluster.describe(TOPIC).orElseThrow().partitions().stream()
            .filter(p -> p.leader() == victim)
            .toList();
    cluster.kill9(victim);
    Await.value(
        () ->
            cluster
                .describe(TOPIC)
                .filter(
                    t ->
                        ledByVictim.stream()
                            .allMatch(
                                p -> {
                                  TopicState.PartitionState now = t.partition(p.partition());
                                  return now.hasLeader()
                                      && now.leader() != victim
                                      && now.leaderEpoch() > p.leaderEpoch();
                                })),
        FAILOVER,
        Duration.ofMillis(500),
        ledByVictim.size() + " partitions led by node " + victim + " fail over",
        () -> cluster.describe(TOPIC).map(Object::toString).orElse("no answer"));
    cluster.start(victim);
    cluster.awaitStarted(victim, NodeCluster.STARTUP);
    cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);
    TopicState back = cluster.awaitFullyInSync(TOPIC, FAILOVER);
    for (TopicState.PartitionState p : ledByVictim) {
      assertTrue(
          back.partition(p.partition()).leaderEpoch() > p.leaderEpoch(),
          "partition "
              + p.partition()
              + " is in a new leader epoch: "
              + back.partition(p.partition()));
    }

    Await.holdsFor(
        this::partitionWithoutFullSet,
        HOLD,
        Duration.ofMillis(500),
        "full in-sync sets after the failover, with no writes");

    ProduceClient client = new ProduceClient(cluster, Duration.ofSeconds(30));
    for (int p = 0; p < PARTITIONS; p++) {
      ProduceClient.Outcome o =
          client.produce(TOPIC, p, ("after " + p).getBytes(), ProduceClient.Acks.ALL);
      assertInstanceOf(
          ProduceClient.Acked.class, o, "acks=all to partition " + p + " answered " + o);
    }
  }

  /** The first partition some node describes without a leader or a full set, if any. */
  private Optional<String> partitionWithoutFullSet() {
    for (int node : cluster.nodes()) {
      Optional<TopicState> view = cluster.describe(node, TOPIC);
      if (view.isEmpty()) {
        return Optional.of("node " + node + " did not describe " + TOPIC);
      }
      Optional<TopicState.PartitionState> bad = view.get().firstNotFullyInSync();
      if (bad.isPresent()) {
        return Optional.of("node " + node + " describes " + bad.get());
      }
    }
    return Optional.empty();
  }
}
