package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SluiceSettings;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.controller.TopicMetadata;
import dev.sluice.node.replica.AppliedMetadata;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.node.replica.ReplicaManager;
import dev.sluice.replication.leader.LeaderSettings;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchdogState;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted node's replica manager opens the logs its data directory holds before the controller
 * assigns anything, so that a follower's log is recovered while the node joins the cluster; the
 * assignment then uses the log already open, and the first metadata closes the ones it does not
 * assign here.
 */
class LocalLogsOpenBeforeTheAssignmentTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final int NODE = 3;
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;

  private LocalReplicas replicas;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void closeLogs() {
    if (replicas != null) {
      replicas.close();
    }
  }

  @Test
  void logsOpenBeforeTheFirstMetadataWhichKeepsTheAssignedAndClosesTheRest() throws Exception {
    SluiceSettings settings =
        SluiceSettings.from(TestNodes.singleNode(dir, Map.of("sluice.node.id", "" + NODE)));
    PartitionId orders = new PartitionId("orders", 0);
    PartitionId gone = new PartitionId("gone-topic", 2);
    PartitionId legacy = new PartitionId("legacy", 0);
    PartitionId otherIncarnation = new PartitionId("renewed", 0);
    try (LocalReplicas before = localReplicas(settings)) {
      before.open(orders, "orders-id");
      before.open(gone, "gone-id");
      before.open(legacy); // created before topic ids: opens only when assigned
      before.open(otherIncarnation, "renewed-old-id");
    }

    replicas = localReplicas(settings);
    TestProbe<Controller.Command> controller = testKit.createTestProbe();
    TestProbe<StallWatchdog.Command> watchdog = testKit.createTestProbe();
    ActorRef<ReplicaManager.Command> manager =
        testKit.spawn(
            ReplicaManager.create(
                replicas,
                new AppliedMetadata(),
                controller.getRef(),
                SluiceNode.transferSettings(settings),
                LeaderSettings.of(NODE, 1, Duration.ofSeconds(10)),
                watchdog.getRef(),
                new WatchdogState()));
    Controller.Subscribe subscribe =
        controller.expectMessageClass(Controller.Subscribe.class, WAIT);

    controller.awaitAssert(
        WAIT,
        () -> {
          assertTrue(replicas.get(orders).isPresent(), "orders-0 open before any metadata");
          assertTrue(replicas.get(gone).isPresent(), "gone-topic-2 open before any metadata");
          assertTrue(replicas.get(otherIncarnation).isPresent());
          return null;
        });
    assertFalse(replicas.get(legacy).isPresent(), "no recorded topic id: waits for metadata");
    PartitionReplica opened = replicas.get(orders).orElseThrow();

    subscribe
        .subscriber()
        .tell(
            new MetadataSnapshot(
                1,
                List.of(
                    topic("orders", "orders-id"),
                    topic("renewed", "renewed-new-id"),
                    topic("legacy", null)),
                Map.of()));

    controller.awaitAssert(
        WAIT,
        () -> {
          assertFalse(replicas.get(gone).isPresent(), "not assigned here: closed again");
          assertFalse(
              replicas.get(otherIncarnation).isPresent(), "another incarnation: not assigned");
          assertTrue(replicas.get(legacy).isPresent(), "assigned: opened now");
          return null;
        });
    assertSame(opened, replicas.get(orders).orElseThrow(), "the assignment used the open log");
    testKit.stop(manager);
  }

  /** Partition 0 on nodes 1, 2 and 3, led by node 1. */
  private static TopicMetadata topic(String name, String topicId) {
    return new TopicMetadata(
        name,
        List.of(new PartitionAssignment(0, List.of(1, 2, NODE), 1, 1, List.of(1, 2), Map.of(), 1)),
        topicId,
        Map.of());
  }

  private LocalReplicas localReplicas(SluiceSettings settings) {
    return new LocalReplicas(
        NODE, settings.node().dataDir(), settings.storage(), Clock.systemUTC());
  }
}
