package dev.sluice.replication.watchdog;

import static org.junit.jupiter.api.Assertions.*;

import dev.sluice.replication.follower.FollowerState;
import dev.sluice.replication.follower.FollowerStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * The watchdog actor against fake replicas whose status the test drives. Scheduler time ({@link
 * ManualTime}) and the watchdog's injected clock advance together, one interval at a time, and each
 * step waits for the tick to be handled ({@link #handledSoFar}), so nothing here sleeps or races.
 */
class StallWatchdogTest {
  static final ActorTestKit testKit = ActorTestKit.create("StallWatchdogTest", ManualTime.config());
  static final ManualTime manualTime = ManualTime.get(testKit.system());
  // Few ticks per stall-timeout: every ManualTime step costs real time (it lets dispatchers drain).
  static final Duration INTERVAL = Duration.ofSeconds(5);
  static final Duration STALL_TIMEOUT = Duration.ofSeconds(15);
  static final String SENTINEL = "~sentinel";

  final AtomicLong nanos = new AtomicLong(123_456_789L);
  final WatchdogState state = new WatchdogState();
  ActorRef<StallWatchdog.Command> watchdog;

  /** A follower replica that only records what the watchdog asks of it. */
  static class FakeReplica implements WatchedReplica {
    final FollowerStatus status = new FollowerStatus();
    final List<String> restarts = new CopyOnWriteArrayList<>();
    final List<Integer> frameLimits = new CopyOnWriteArrayList<>();

    /** Stuck like the incident: behind the leader, an oversized batch partly staged. */
    static FakeReplica stuckAt(long logEnd, long leaderEnd) {
      FakeReplica r = new FakeReplica();
      r.status.state(FollowerState.CATCHING_UP);
      r.status.offsets(logEnd, logEnd);
      r.status.leaderLogEndOffset(leaderEnd);
      r.status.stagedBytes(3_145_728);
      r.status.lastError("connection reset");
      return r;
    }

    @Override
    public FollowerStatus status() {
      return status;
    }

    @Override
    public void restartTransfer(String reason) {
      restarts.add(reason);
    }

    @Override
    public void limitFrames(int divisor) {
      frameLimits.add(divisor);
    }
  }

  @BeforeEach
  void startWatchdog() {
    watchdog = testKit.spawn(StallWatchdog.create(INTERVAL, STALL_TIMEOUT, state, nanos::get));
    handledSoFar(); // setup has run, so its timer counts from now
  }

  @AfterEach
  void stopWatchdog() {
    testKit.stop(watchdog);
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /**
   * Returns once the watchdog has handled everything sent to it so far, a tick that {@code
   * timePasses} queued included: a caught-up sentinel replica watched behind them shows in the
   * state, and is unwatched again without a trace.
   */
  void handledSoFar() {
    watchdog.tell(new StallWatchdog.Watch(SENTINEL, new FakeReplica()));
    awaitCondition(() -> state.replica(SENTINEL).isPresent());
    watchdog.tell(new StallWatchdog.Unwatch(SENTINEL));
    awaitCondition(() -> state.replica(SENTINEL).isEmpty());
  }

  static void awaitCondition(BooleanSupplier condition) {
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(5),
            Duration.ofMillis(1),
            () -> {
              assertTrue(condition.getAsBoolean());
              return null;
            });
  }

  void watch(String name, WatchedReplica replica) {
    watchdog.tell(new StallWatchdog.Watch(name, replica));
    handledSoFar();
  }

  /** Moves both clocks one interval at a time; every tick is handled before the next. */
  void advance(Duration total) {
    for (long done = 0; done < total.toNanos(); done += INTERVAL.toNanos()) {
      nanos.addAndGet(INTERVAL.toNanos());
      manualTime.timePasses(INTERVAL);
      handledSoFar();
    }
  }

  /** Runs {@code code} and returns the WARN lines the watchdog logged meanwhile. */
  List<String> warningsDuring(int expected, Runnable code) {
    List<String> lines = new CopyOnWriteArrayList<>();
    LoggingTestKit.empty()
        .withLogLevel(Level.WARN)
        .withLoggerName(StallWatchdog.class.getName())
        .withCustom(
            event -> {
              lines.add(event.message());
              return true;
            })
        .withOccurrences(expected)
        .expect(
            testKit.system(),
            () -> {
              code.run();
              return null;
            });
    return lines;
  }

  ReplicaHealth health(String name) {
    return state.replica(name).orElseThrow();
  }

  @Test
  void stalledReplicaIsReportedOnceAndItsTransferRestarted() {
    FakeReplica replica = FakeReplica.stuckAt(120, 145);
    watch("orders-3", replica);

    warningsDuring(0, () -> advance(Duration.ofSeconds(10)));
    assertEquals(List.of(), replica.restarts);
    assertFalse(health("orders-3").stalled());

    // The stall comes at 15s; the ticks up to 25s log nothing more.
    List<String> warnings = warningsDuring(1, () -> advance(Duration.ofSeconds(15)));
    assertEquals(
        List.of(
            "replica orders-3 stalled: no progress for 15s at offset 120 (leader at 145, 25 behind,"
                + " 3145728 bytes staged), state catchingUp, last error \"connection reset\";"
                + " restarting its transfer"),
        warnings);
    assertEquals(1, replica.restarts.size());
    assertTrue(replica.restarts.get(0).contains("no progress for 15s at offset 120"));
    assertEquals(List.of(), replica.frameLimits);
    ReplicaHealth h = health("orders-3");
    assertTrue(h.stalled());
    assertEquals(1, h.stallCount());
    assertEquals(1, h.escalationLevel());
    assertEquals(25, h.offsetsBehind());
    assertEquals(25, h.secondsSinceProgress());
    assertTrue(state.ready());
    assertEquals(1, state.totalStalls());
    assertEquals(1, state.stalledReplicas());
    assertEquals(Map.of("orders-3", h), state.replicas());
  }

  @Test
  void repeatedStallsShrinkFramesThenMakeTheNodeNotReady() {
    FakeReplica replica = FakeReplica.stuckAt(120, 145);
    watch("orders-3", replica);

    advance(STALL_TIMEOUT);
    assertEquals(1, replica.restarts.size());
    assertEquals(List.of(), replica.frameLimits);

    advance(STALL_TIMEOUT);
    assertEquals(2, replica.restarts.size());
    assertEquals(List.of(2), replica.frameLimits);
    assertEquals(2, health("orders-3").escalationLevel());
    assertTrue(state.ready());

    List<String> warnings = warningsDuring(1, () -> advance(STALL_TIMEOUT));
    assertTrue(warnings.get(0).contains("stall 3"), warnings.get(0));
    assertEquals(3, replica.restarts.size());
    assertEquals(List.of(2, 4), replica.frameLimits);
    assertEquals(3, health("orders-3").escalationLevel());
    assertFalse(health("orders-3").healthy());
    assertFalse(state.ready());
    assertEquals(List.of("orders-3"), state.unhealthyReplicas());

    // Still stuck: restarted every stall-timeout, without a WARN each time.
    warningsDuring(0, () -> advance(STALL_TIMEOUT.multipliedBy(2)));
    assertEquals(5, replica.restarts.size());
    assertEquals(List.of(2, 4, 4, 4), replica.frameLimits);
    assertEquals(5, state.totalStalls());
    assertFalse(state.ready());
  }

  @Test
  void progressAfterStallsRecoversFullFramesAndReadiness() {
    FakeReplica replica = FakeReplica.stuckAt(120, 145);
    watch("orders-3", replica);
    advance(STALL_TIMEOUT.multipliedBy(3));
    assertFalse(state.ready());

    replica.status.offsets(121, 121);
    replica.status.stagedBytes(0);
    LoggingTestKit.info("replica orders-3 recovered after 3 stalls")
        .expect(
            testKit.system(),
            () -> {
              advance(INTERVAL);
              return null;
            });

    assertTrue(state.ready());
    // still behind the leader: frames stay small until it has caught up
    assertEquals(List.of(2, 4), replica.frameLimits);
    replica.status.leaderLogEndOffset(121);
    advance(INTERVAL);
    assertEquals(List.of(2, 4, 1), replica.frameLimits);
    ReplicaHealth h = health("orders-3");
    assertFalse(h.stalled());
    assertEquals(0, h.escalationLevel());
    assertEquals(3, h.totalStalls());
    assertEquals(1, state.recoveries());
    assertEquals(0, state.stalledReplicas());

    // Moving steadily, though still behind, is no stall.
    warningsDuring(
        0,
        () -> {
          for (int i = 0; i < 10; i++) {
            replica.status.offsets(122 + i, 122 + i);
            advance(Duration.ofSeconds(5));
          }
        });
    assertEquals(3, replica.restarts.size());
  }

  @Test
  void caughtUpReplicaOfAnIdlePartitionIsNeverStalled() {
    FakeReplica replica = new FakeReplica();
    replica.status.state(FollowerState.IN_SYNC);
    replica.status.offsets(145, 145);
    replica.status.leaderLogEndOffset(145);
    watch("orders-1", replica);

    warningsDuring(0, () -> advance(STALL_TIMEOUT.multipliedBy(4)));
    assertEquals(List.of(), replica.restarts);
    assertFalse(health("orders-1").stalled());
    assertEquals(0, state.totalStalls());
    assertTrue(state.ready());
  }

  @Test
  void unwatchedReplicaIsNoLongerMonitored() {
    FakeReplica replica = FakeReplica.stuckAt(120, 145);
    watch("orders-3", replica);
    advance(Duration.ofSeconds(10));

    watchdog.tell(new StallWatchdog.Unwatch("orders-3"));
    handledSoFar();
    assertEquals(Map.of(), state.replicas());
    warningsDuring(0, () -> advance(STALL_TIMEOUT.multipliedBy(2)));

    assertEquals(List.of(), replica.restarts);
    assertEquals(0, state.totalStalls());
    assertTrue(state.replicas().isEmpty());
  }

  @Test
  void oneStuckReplicaDoesNotAffectTheOthers() {
    FakeReplica stuck = FakeReplica.stuckAt(120, 145);
    FakeReplica failing =
        new FakeReplica() {
          @Override
          public void restartTransfer(String reason) {
            throw new IllegalStateException("follower gone");
          }
        };
    failing.status.state(FollowerState.BACKING_OFF);
    watch("orders-3", stuck);
    watch("orders-4", failing);

    advance(STALL_TIMEOUT);
    advance(STALL_TIMEOUT);

    assertEquals(2, stuck.restarts.size());
    ReplicaHealth h = health("orders-4");
    assertTrue(h.stalled());
    assertEquals(2, h.stallCount(), "a failing remedy must not make every tick a new stall");
    assertEquals(4, state.totalStalls());
    assertEquals(2, state.stalledReplicas());
  }
}
