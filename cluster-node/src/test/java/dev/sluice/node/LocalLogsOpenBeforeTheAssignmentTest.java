package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SluiceSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.MutableClock;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.controller.TopicMetadata;
import dev.sluice.node.replica.AppliedMetadata;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.ReplicaManager;
import dev.sluice.replication.leader.LeaderSettings;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchdogState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted node's replica manager opens the logs its data directory holds before the controller
 * assigns anything, so that a follower's log is recovered while the node joins the cluster; nothing
 * serves them until assigned, the assignment then uses the log already open, and the first metadata
 * closes the ones it does not assign here.
 */
@SuppressWarnings("unchecked")
class LocalLogsOpenBeforeTheAssignmentTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final int NODE = 3;
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final long OPENED_AT = 1_000_000L;
  private static final long ASSIGNED_AT = 2_000_000L;

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
    MutableClock clock = new MutableClock(Instant.ofEpochMilli(OPENED_AT));
    try (LocalReplicas before = localReplicas(settings, clock)) {
      before.open(orders, "orders-id");
      before.open(gone, "gone-id");
      before.open(legacy); // created before topic ids: opens only when assigned
      before.open(otherIncarnation, "renewed-old-id");
    }

    replicas = localReplicas(settings, clock);
    TestProbe<Controller.Command> controller = testKit.createTestProbe();
    Behavior<ReplicaManager.Command> behavior = manager(settings, controller);
    ActorRef<ReplicaManager.Command>[] manager = new ActorRef[1];
    LoggingTestKit.info("Opened 3 replica logs of the data directory before the first metadata")
        .withMessageContains("[gone-topic-2, orders-0, renewed-0]")
        .expect(testKit.system(), () -> manager[0] = testKit.spawn(behavior));
    Controller.Subscribe subscribe =
        controller.expectMessageClass(Controller.Subscribe.class, WAIT);
    for (PartitionId p : List.of(orders, gone, legacy, otherIncarnation)) {
      assertFalse(replicas.get(p).isPresent(), p + ": nothing serves it before it is assigned");
    }

    clock.advance(Duration.ofMillis(ASSIGNED_AT - OPENED_AT));
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
          assertTrue(replicas.get(orders).isPresent(), "assigned: the log opened at start");
          assertTrue(replicas.get(legacy).isPresent(), "assigned: opened now");
          assertTrue(closedCleanly(gone), "the log not assigned here was closed");
          assertTrue(closedCleanly(otherIncarnation), "the other incarnation's log was closed");
          return null;
        });
    assertEquals(OPENED_AT, replicas.get(orders).orElseThrow().openedMillis());
    assertEquals(ASSIGNED_AT, replicas.get(legacy).orElseThrow().openedMillis());
    assertFalse(replicas.get(gone).isPresent(), "not assigned here");
    assertFalse(replicas.get(otherIncarnation).isPresent(), "another incarnation: not assigned");
    assertFalse(closedCleanly(orders), "the assigned log stays open");
    testKit.stop(manager[0]);
  }

  @Test
  void logsOpenedForAMetadataThatNeverCameAreClosedWhenTheManagerStops() throws Exception {
    SluiceSettings settings =
        SluiceSettings.from(TestNodes.singleNode(dir, Map.of("sluice.node.id", "" + NODE)));
    PartitionId orders = new PartitionId("orders", 1);
    MutableClock clock = new MutableClock(Instant.ofEpochMilli(OPENED_AT));
    try (LocalReplicas before = localReplicas(settings, clock)) {
      before.open(orders, "orders-id");
    }
    replicas = localReplicas(settings, clock);
    TestProbe<Controller.Command> controller = testKit.createTestProbe();
    ActorRef<ReplicaManager.Command>[] manager = new ActorRef[1];
    LoggingTestKit.info("Opened 1 replica logs of the data directory before the first metadata")
        .expect(testKit.system(), () -> manager[0] = testKit.spawn(manager(settings, controller)));
    assertFalse(closedCleanly(orders), "open");

    testKit.stop(manager[0]);

    controller.awaitAssert(
        WAIT,
        () -> {
          assertTrue(closedCleanly(orders), "closed when the manager stopped");
          return null;
        });
  }

  /** Whether the partition's log is closed cleanly: its clean-shutdown marker is on disk. */
  private boolean closedCleanly(PartitionId partition) {
    return Files.exists(
        dir.resolve("node-1") // TestNodes.singleNode's data dir, whatever the node id
            .resolve(partition.dirName())
            .resolve(PartitionLog.CLEAN_SHUTDOWN_FILE));
  }

  /** Partition 0 on nodes 1, 2 and 3, led by node 1. */
  private static TopicMetadata topic(String name, String topicId) {
    return new TopicMetadata(
        name,
        List.of(new PartitionAssignment(0, List.of(1, 2, NODE), 1, 1, List.of(1, 2), Map.of(), 1)),
        topicId,
        Map.of());
  }

  /** The node's replica manager over {@link #replicas}, subscribing at {@code controller}. */
  private Behavior<ReplicaManager.Command> manager(
      SluiceSettings settings, TestProbe<Controller.Command> controller) {
    return ReplicaManager.create(
        replicas,
        new AppliedMetadata(),
        controller.getRef(),
        SluiceNode.transferSettings(settings),
        LeaderSettings.of(NODE, 1, Duration.ofSeconds(10)),
        testKit.<StallWatchdog.Command>createTestProbe().getRef(),
        new WatchdogState());
  }

  private static LocalReplicas localReplicas(SluiceSettings settings, Clock clock) {
    return new LocalReplicas(NODE, settings.node().dataDir(), settings.storage(), clock);
  }
}
