package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SluiceSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.controller.TopicMetadata;
import dev.sluice.node.replica.AppliedMetadata;
import dev.sluice.node.replica.FollowedLeader;
import dev.sluice.node.replica.FollowedLeaderFile;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.ReplicaManager;
import dev.sluice.replication.follower.FollowerState;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.leader.LeaderSettings;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.protocol.RejectReason;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchdogState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted node's follower replica starts following the leader its directory records before the
 * first metadata arrives (its handshake reaches that leader while nothing is assigned), and the
 * first metadata settles it: the same leader and epoch keep the running session, another leader or
 * epoch replaces it, this node leading or the replica no longer assigned here stop it. The record
 * itself follows the assignments.
 */
class RestartedFollowerFollowsItsRecordedLeaderTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final int NODE = 3;
  private static final String TOPIC_ID = "orders-id";
  private static final PartitionId ORDERS = new PartitionId("orders", 0);
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;

  private SluiceSettings settings;
  private LocalReplicas replicas;
  private FakeReplicationLeader leaderA;
  private FakeReplicationLeader leaderB;
  private ActorRef<ReplicaManager.Command> manager;
  private ActorRef<MetadataSnapshot> subscriber;
  private TestProbe<StallWatchdog.Command> watchdog;
  private final TestProbe<Void> waiter = testKit.createTestProbe();

  @BeforeEach
  void setUp() throws Exception {
    settings = SluiceSettings.from(TestNodes.singleNode(dir, Map.of("sluice.node.id", "" + NODE)));
    leaderA = new FakeReplicationLeader();
    leaderB = new FakeReplicationLeader();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (manager != null) {
      testKit.stop(manager);
    }
    if (replicas != null) {
      replicas.close();
    }
    leaderA.close();
    leaderB.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void theHandshakeReachesTheRecordedLeaderBeforeTheMetadataWhichKeepsTheSession()
      throws Exception {
    restartFollowing(new FollowedLeader(1, 5, "127.0.0.1", leaderA.port(), TOPIC_ID));

    Frame.Hello hello = awaitHellos(leaderA, 1).get(0);
    assertEquals(NODE, hello.replicaId());
    assertEquals(ORDERS, hello.partition());
    assertEquals(5, hello.currentLeaderEpoch());
    assertEquals(TOPIC_ID, hello.topicId());
    assertFalse(replicas.get(ORDERS).isPresent(), "not assigned for the API before the metadata");

    LoggingTestKit.info("the metadata confirms leader node 1 at epoch 5")
        .expect(testKit.system(), () -> assign(1, 1, 5));
    awaitTrue(() -> replicas.get(ORDERS).isPresent(), "assigned by the metadata");
    FakeReplicationLeader.Connection session = leaderA.connections().get(0);
    long progressBefore = session.progressFrames();
    awaitTrue(
        () -> session.progressFrames() > progressBefore && !session.closed,
        "the session of the provisional follower goes on after the metadata");
    assign(2, 1, 5); // repeated, as subscriptions repeat
    awaitTrue(() -> session.progressFrames() > progressBefore + 1, "still the same session");
    assertEquals(1, leaderA.connections().size(), "one connection: " + leaderA.connections());
    assertEquals(1, leaderA.hellos().size(), "one handshake only: " + leaderA.hellos());
    assertEquals(
        Optional.of(new FollowedLeader(1, 5, "127.0.0.1", leaderA.port(), TOPIC_ID)),
        FollowedLeaderFile.read(partitionDir()));
  }

  @Test
  void anotherLeaderAtTheSameEpochThenANewerEpochEachReplaceTheSession() throws Exception {
    restartFollowing(new FollowedLeader(1, 5, "127.0.0.1", leaderA.port(), TOPIC_ID));
    awaitHellos(leaderA, 1);

    assign(1, 2, 5); // node 2 at the recorded epoch: the recorded leader was not the leader
    Frame.Hello toB = awaitHellos(leaderB, 1).get(0);
    assertEquals(5, toB.currentLeaderEpoch());
    awaitTrue(() -> leaderA.connections().get(0).closed, "the provisional session was stopped");
    awaitTrue(
        () ->
            FollowedLeaderFile.read(partitionDir())
                .equals(
                    Optional.of(new FollowedLeader(2, 5, "127.0.0.1", leaderB.port(), TOPIC_ID))),
        "the record names the assigned leader");

    assign(2, 1, 6); // a newer epoch: the running follower is redirected
    List<Frame.Hello> toA = awaitHellos(leaderA, 2);
    assertEquals(6, toA.get(1).currentLeaderEpoch());
    awaitTrue(() -> leaderB.connections().get(0).closed, "the session to node 2 ended");
    assertEquals(1, leaderB.hellos().size(), "node 2 got one handshake: " + leaderB.hellos());
  }

  @Test
  void aRecordNamingThisNodeStartsNoFollowerAndTheMetadataMakesItLead() throws Exception {
    recordBeforeTheRestart(new FollowedLeader(NODE, 5, "127.0.0.1", leaderA.port(), TOPIC_ID));
    LoggingTestKit.info("not following the recorded leader before the metadata: it names this node")
        .expect(
            testKit.system(),
            () -> {
              startManager();
              return null;
            });
    assertFalse(replicas.get(ORDERS).isPresent(), "nothing runs it before the metadata");

    assign(1, NODE, 6);
    awaitTrue(
        () -> replicas.get(ORDERS).map(r -> r.isLeader()).orElse(false), "leads once assigned");
    assertTrue(leaderA.connections().isEmpty(), "no follower ever connected");
    assertEquals(
        Optional.empty(), FollowedLeaderFile.read(partitionDir()), "a leader records none");
  }

  @Test
  void becomingLeaderStopsTheProvisionalFollowerAndRemovesTheRecord() throws Exception {
    restartFollowing(new FollowedLeader(1, 5, "127.0.0.1", leaderA.port(), TOPIC_ID));
    awaitHellos(leaderA, 1);

    assign(1, NODE, 6);

    awaitTrue(() -> leaderA.connections().get(0).closed, "the provisional follower stopped");
    awaitTrue(() -> replicas.get(ORDERS).map(r -> r.isLeader()).orElse(false), "leads");
    assertEquals(Optional.empty(), FollowedLeaderFile.read(partitionDir()));
    assertEquals(1, leaderA.hellos().size(), "no new handshake: " + leaderA.hellos());
  }

  @Test
  void aFirstMetadataThatDoesNotAssignTheReplicaStopsItsFollowerAndClosesItsLog() throws Exception {
    restartFollowing(new FollowedLeader(1, 5, "127.0.0.1", leaderA.port(), TOPIC_ID));
    awaitHellos(leaderA, 1);

    subscriber.tell(new MetadataSnapshot(1, List.of(), liveNodes()));

    awaitTrue(() -> leaderA.connections().get(0).closed, "the provisional follower stopped");
    awaitTrue(this::closedCleanly, "the log was closed once its actors stopped");
    assertFalse(replicas.get(ORDERS).isPresent());
    assertEquals(Optional.empty(), FollowedLeaderFile.read(partitionDir()), "record removed");
  }

  @Test
  void aRefusedProvisionalFollowerBacksOffLongerAtEachRefusalAndWaitsForTheMetadata()
      throws Exception {
    leaderA.refuseWith(
        new Frame.Rejected(
            RejectReason.OTHER_TOPIC_ID,
            "orders-0: follower's log belongs to topic id orders-id, this replica to topic id"
                + " orders-new-id"));
    restartFollowing(new FollowedLeader(1, 5, "127.0.0.1", leaderA.port(), TOPIC_ID));
    FollowerStatus status =
        watchdog.expectMessageClass(StallWatchdog.Watch.class, WAIT).replica().status();

    FollowerStatus.Snapshot third =
        waiter.awaitAssert(
            WAIT,
            () -> {
              FollowerStatus.Snapshot s = status.snapshot();
              assertEquals(FollowerState.BACKING_OFF, s.state());
              assertTrue(s.attempts() >= 3, "three refused attempts: " + s);
              return s;
            });
    assertTrue(third.lastError().contains("OTHER_TOPIC_ID"), third.lastError());
    // The n-th failure waits min * 2^(n-1) or more (200 ms minimum): no quick retries.
    assertTrue(
        third.currentBackoff().compareTo(Duration.ofMillis(800)) >= 0,
        "third refusal backs off at least 4 x min: " + third);
    assertTrue(leaderA.hellos().size() >= 3, "each attempt a handshake: " + leaderA.hellos());
    assertFalse(replicas.get(ORDERS).isPresent(), "still unassigned: it waits for the metadata");
  }

  @Test
  void aLogHoldingANewerEpochThanTheRecordWaitsForTheMetadata() throws Exception {
    try (LocalReplicas before = localReplicas()) {
      PartitionLog log = before.open(ORDERS, TOPIC_ID).log();
      log.appendRecords(List.of(dev.sluice.format.Record.of(null, new byte[] {1}, 1_000L)), 7);
    }
    FollowedLeaderFile.write(
        partitionDir(), new FollowedLeader(1, 5, "127.0.0.1", leaderA.port(), TOPIC_ID));
    LoggingTestKit.info("the log holds epoch 7, newer than the recorded 5")
        .expect(
            testKit.system(),
            () -> {
              startManager();
              return null;
            });
    assign(1, 1, 8);
    Frame.Hello hello = awaitHellos(leaderA, 1).get(0);
    assertEquals(8, hello.currentLeaderEpoch(), "the first handshake is the assigned one's");
  }

  @Test
  void theRecordFollowsTheAssignments() throws Exception {
    startManager();

    assign(1, 1, 2);
    awaitTrue(
        () ->
            FollowedLeaderFile.read(partitionDir())
                .equals(
                    Optional.of(new FollowedLeader(1, 2, "127.0.0.1", leaderA.port(), TOPIC_ID))),
        "written when the replica follows");

    assign(2, NODE, 3);
    awaitTrue(
        () -> FollowedLeaderFile.read(partitionDir()).isEmpty(), "removed when this node leads");

    assign(3, 2, 4);
    awaitTrue(
        () ->
            FollowedLeaderFile.read(partitionDir())
                .equals(
                    Optional.of(new FollowedLeader(2, 4, "127.0.0.1", leaderB.port(), TOPIC_ID))),
        "written again when it follows again");
  }

  // ---- fixtures ----

  /** A node that held {@code orders-0} and recorded {@code followed} restarts. */
  private void restartFollowing(FollowedLeader followed) throws Exception {
    recordBeforeTheRestart(followed);
    startManager();
  }

  /** The data directory of a node that held {@code orders-0} and recorded {@code followed}. */
  private void recordBeforeTheRestart(FollowedLeader followed) throws Exception {
    try (LocalReplicas before = localReplicas()) {
      before.open(ORDERS, TOPIC_ID);
    }
    FollowedLeaderFile.write(partitionDir(), followed);
  }

  private void startManager() {
    replicas = localReplicas();
    TestProbe<Controller.Command> controller = testKit.createTestProbe();
    watchdog = testKit.createTestProbe();
    manager =
        testKit.spawn(
            ReplicaManager.create(
                replicas,
                new AppliedMetadata(),
                controller.getRef(),
                SluiceNode.transferSettings(settings),
                LeaderSettings.of(NODE, 1, Duration.ofSeconds(10)),
                watchdog.getRef(),
                new WatchdogState()));
    subscriber = controller.expectMessageClass(Controller.Subscribe.class, WAIT).subscriber();
  }

  /** Metadata of revision {@code revision}: orders-0 on nodes 1, 2 and 3, led by {@code leader}. */
  private Void assign(long revision, int leader, int epoch) {
    PartitionAssignment p =
        new PartitionAssignment(
            0, List.of(1, 2, NODE), leader, epoch, List.of(1, 2, NODE), Map.of(), 1);
    subscriber.tell(
        new MetadataSnapshot(
            revision,
            List.of(new TopicMetadata("orders", List.of(p), TOPIC_ID, Map.of())),
            liveNodes()));
    return null;
  }

  /** Nodes 1 and 2 replicate on the two fake leaders; node 3 is this one. */
  private Map<Integer, String> liveNodes() {
    Map<Integer, String> nodes = new HashMap<>();
    nodes.put(
        1,
        new NodeAddress("pekko://sluice@127.0.0.1:1", "127.0.0.1", 1, leaderA.port(), 1).encode());
    nodes.put(
        2,
        new NodeAddress("pekko://sluice@127.0.0.1:2", "127.0.0.1", 2, leaderB.port(), 2).encode());
    nodes.put(NODE, new NodeAddress("pekko://sluice@127.0.0.1:3", "127.0.0.1", 3, 1, 3).encode());
    return nodes;
  }

  private List<Frame.Hello> awaitHellos(FakeReplicationLeader leader, int count) {
    return waiter.awaitAssert(
        WAIT,
        () -> {
          List<Frame.Hello> hellos = leader.hellos();
          assertTrue(hellos.size() >= count, count + " handshakes, got " + hellos);
          return hellos;
        });
  }

  @FunctionalInterface
  private interface Check {
    boolean holds() throws Exception;
  }

  private void awaitTrue(Check check, String what) {
    waiter.awaitAssert(
        WAIT,
        () -> {
          try {
            assertTrue(check.holds(), what);
          } catch (Exception e) {
            throw new AssertionError(what + ": " + e, e);
          }
          return null;
        });
  }

  private Path partitionDir() {
    return settings.node().dataDir().resolve(ORDERS.dirName());
  }

  private boolean closedCleanly() {
    return Files.exists(partitionDir().resolve(PartitionLog.CLEAN_SHUTDOWN_FILE));
  }

  private LocalReplicas localReplicas() {
    return new LocalReplicas(
        NODE, settings.node().dataDir(), settings.storage(), Clock.systemUTC());
  }
}
