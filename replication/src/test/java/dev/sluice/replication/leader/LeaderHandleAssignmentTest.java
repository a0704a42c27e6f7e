package dev.sluice.replication.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Role assignment with stale epochs: node 1's handle never goes back to an older leader epoch, so a
 * late controller reply cannot make a deposed node lead again, and the leader actor hears of every
 * accepted role before it becomes visible.
 */
class LeaderHandleAssignmentTest {
  static final ActorTestKit testKit = ActorTestKit.create();
  static final List<Integer> ALL = List.of(1, 2, 3);

  @TempDir Path dir;
  PartitionLog log;
  LeaderHandle handle;
  TestProbe<PartitionLeader.Command> leaderActor;

  @BeforeEach
  void open() throws IOException {
    log = PartitionLog.open(dir, StorageSettings.of(1 << 20, 1 << 20), Clock.systemUTC());
    handle = new LeaderHandle(new PartitionId("t", 0), 1, log);
    leaderActor = testKit.createTestProbe();
    handle.attach(leaderActor.getRef(), testKit.system().scheduler());
  }

  @AfterEach
  void close() throws IOException {
    handle.close();
    log.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aNodeThatStopsLeadingFencesItsLogAgainstTheEpochItLedBeforeItsFollowerStarts()
      throws IOException {
    assertTrue(handle.assign(new Assignment(1, 4, ALL, ALL, 7)));
    assertTrue(handle.assign(new Assignment(2, 5, ALL, List.of(2, 3), 8)));

    // An append of epoch 4 still on its way in the deposed leader finds the log fenced.
    org.junit.jupiter.api.Assertions.assertThrows(
        dev.sluice.log.FencedLeaderEpochException.class,
        () -> log.appendRecords(List.of(dev.sluice.format.Record.of(null, new byte[] {1}, 0L)), 4));
    org.junit.jupiter.api.Assertions.assertEquals(0, log.logEndOffset());
  }

  @Test
  void aLateAssignmentOfAnOlderEpochNeverMakesADeposedNodeLeadAgain() {
    assertTrue(handle.assign(new Assignment(1, 4, ALL, ALL, 7)));
    assertEquals(new PartitionLeader.Lead(4, ALL, ALL, 7), leaderActor.receiveMessage());
    assertTrue(handle.isLeader());

    assertTrue(handle.assign(new Assignment(2, 5, ALL, List.of(2, 3), 8)));
    assertEquals(new PartitionLeader.Resign(5, 2), leaderActor.receiveMessage());
    assertFalse(handle.isLeader());

    // The controller's answer to an old request, or an old snapshot, arrives late.
    assertFalse(handle.assign(new Assignment(1, 4, ALL, ALL, 9)));
    assertFalse(handle.isLeader());
    assertEquals(5, handle.leaderEpoch());
    leaderActor.expectNoMessage(Duration.ZERO);
  }

  @Test
  void withinAnEpochAnOlderVersionOfTheInSyncSetIsIgnored() {
    assertTrue(handle.assign(new Assignment(1, 4, ALL, List.of(1, 2), 9)));
    leaderActor.receiveMessage();
    assertFalse(handle.assign(new Assignment(1, 4, ALL, ALL, 8)));
    assertEquals(List.of(1, 2), handle.assignment().inSync());
    assertTrue(handle.assign(new Assignment(1, 4, ALL, ALL, 10)));
    assertEquals(new PartitionLeader.Lead(4, ALL, ALL, 10), leaderActor.receiveMessage());
  }

  @Test
  void aReplicaThatNeverLedDoesNotTellItsLeaderActorToLeadWhenItFollows() {
    assertTrue(handle.assign(new Assignment(2, 3, ALL, ALL, 1)));
    assertEquals(new PartitionLeader.Resign(3, 2), leaderActor.receiveMessage());
    assertTrue(handle.assign(new Assignment(2, 3, ALL, List.of(2, 1), 2)));
    leaderActor.expectNoMessage(Duration.ZERO);
    assertFalse(handle.isLeader());
  }

  @Test
  void onlyTheOtherAssignedReplicasAreFollowersAndLosingTheLeadWakesTheStreams() throws Exception {
    handle.assign(new Assignment(1, 4, List.of(1, 2), List.of(1, 2), 1));
    leaderActor.receiveMessage();
    assertTrue(handle.isFollower(2));
    assertFalse(handle.isFollower(1), "the leader itself");
    assertFalse(handle.isFollower(3), "not a replica of this partition");

    CompletableFuture<Done> change =
        handle.awaitChange(log.logEndOffset(), log.highWatermark()).toCompletableFuture();
    assertFalse(change.isDone(), "nothing changed yet");
    handle.assign(new Assignment(2, 5, List.of(1, 2), List.of(2), 2));
    change.get(5, TimeUnit.SECONDS);
    assertFalse(handle.isLeader());
  }
}
