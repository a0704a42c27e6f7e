package dev.sluice.node.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.leader.PartitionLeader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Role assignment with stale epochs: node 1's replica never goes back to an older leader epoch, so
 * a late controller reply cannot make a deposed node lead again, and the leader actor hears of
 * every accepted role before it becomes visible.
 */
class PartitionReplicaAssignmentTest {
  static final ActorTestKit testKit = ActorTestKit.create();
  static final List<Integer> ALL = List.of(1, 2, 3);

  @TempDir Path dir;
  PartitionLog log;
  PartitionReplica replica;
  TestProbe<PartitionLeader.Command> leaderActor;

  @BeforeEach
  void open() throws IOException {
    log = PartitionLog.open(dir, StorageSettings.of(1 << 20, 1 << 20), Clock.systemUTC());
    replica = new PartitionReplica(new TopicPartition("t", 0), 1, log);
    leaderActor = testKit.createTestProbe();
    replica.attachLeader(leaderActor.getRef(), testKit.system().scheduler());
  }

  @AfterEach
  void close() throws IOException {
    replica.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aLateAssignmentOfAnOlderEpochNeverMakesADeposedNodeLeadAgain() {
    assertTrue(replica.assign(new PartitionReplica.Assignment(1, 4, ALL, ALL, 7)));
    assertEquals(new PartitionLeader.Lead(4, ALL, ALL, 7), leaderActor.receiveMessage());
    assertTrue(replica.isLeader());

    assertTrue(replica.assign(new PartitionReplica.Assignment(2, 5, ALL, List.of(2, 3), 8)));
    assertEquals(new PartitionLeader.Resign(5, 2), leaderActor.receiveMessage());
    assertFalse(replica.isLeader());

    // The controller's answer to an old request, or an old snapshot, arrives late.
    assertFalse(replica.assign(new PartitionReplica.Assignment(1, 4, ALL, ALL, 9)));
    assertFalse(replica.isLeader());
    assertEquals(5, replica.leaderEpoch());
    leaderActor.expectNoMessage(Duration.ZERO);
  }

  @Test
  void withinAnEpochAnOlderVersionOfTheInSyncSetIsIgnored() {
    assertTrue(replica.assign(new PartitionReplica.Assignment(1, 4, ALL, List.of(1, 2), 9)));
    leaderActor.receiveMessage();
    assertFalse(replica.assign(new PartitionReplica.Assignment(1, 4, ALL, ALL, 8)));
    assertEquals(List.of(1, 2), replica.inSync());
    assertTrue(replica.assign(new PartitionReplica.Assignment(1, 4, ALL, ALL, 10)));
    assertEquals(new PartitionLeader.Lead(4, ALL, ALL, 10), leaderActor.receiveMessage());
  }

  @Test
  void aReplicaThatNeverLedDoesNotTellItsLeaderActorToLeadWhenItFollows() {
    assertTrue(replica.assign(new PartitionReplica.Assignment(2, 3, ALL, ALL, 1)));
    assertEquals(new PartitionLeader.Resign(3, 2), leaderActor.receiveMessage());
    assertTrue(replica.assign(new PartitionReplica.Assignment(2, 3, ALL, List.of(2, 1), 2)));
    leaderActor.expectNoMessage(Duration.ZERO);
    assertFalse(replica.isLeader());
  }
}
