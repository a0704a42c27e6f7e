package dev.sluice.replication.watchdog;

import static org.junit.jupiter.api.Assertions.*;

import dev.sluice.replication.follower.FollowerState;
import dev.sluice.replication.follower.FollowerStatus.Snapshot;
import dev.sluice.replication.watchdog.StallDetector.Decision;
import dev.sluice.replication.watchdog.StallDetector.Outcome;
import dev.sluice.replication.watchdog.StallDetector.Tracking;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StallDetectorTest {
  static final Duration TIMEOUT = Duration.ofSeconds(15);
  static final long SECOND = 1_000_000_000L;
  static final long MS = 1_000_000L;
  static final long T = TIMEOUT.toNanos();

  /** An arbitrary origin: only differences of the monotonic clock matter. */
  static final long T0 = 7_000 * SECOND;

  final StallDetector detector = new StallDetector(TIMEOUT);

  static Snapshot sample(
      FollowerState state, long logEnd, long leaderEnd, long staged, String error) {
    return new Snapshot(
        state, logEnd, leaderEnd, logEnd, staged, 0, 0, 1, Duration.ZERO, error, 0, 1);
  }

  static Snapshot catchingUp(long logEnd, long leaderEnd, long staged) {
    return sample(FollowerState.CATCHING_UP, logEnd, leaderEnd, staged, "");
  }

  static final Snapshot STUCK = catchingUp(120, 145, 0);

  /** Samples {@code s} at T0, then once more at {@code T0 + elapsed}. */
  Decision afterElapsed(Snapshot s, long elapsed) {
    return detector.observe(detector.start(s, T0), s, T0 + elapsed);
  }

  @ParameterizedTest(name = "no progress for stall-timeout {0} ms -> stalled {1}")
  @CsvSource({"-1000, false", "-1, false", "0, true", "1, true", "5000, true"})
  void behindWithoutProgressStallsAtTheTimeout(long offsetMillis, boolean stalled) {
    Decision d = afterElapsed(STUCK, T + offsetMillis * MS);
    assertEquals(stalled ? Outcome.STALLED : Outcome.NONE, d.outcome());
    assertEquals(stalled, d.tracking().stalled());
    assertEquals(stalled ? 1 : 0, d.tracking().totalStalls());
  }

  @ParameterizedTest(name = "{0} at {1}, leader at {2}, {3} bytes staged -> behind {4}")
  @CsvSource({
    "CATCHING_UP, 120, 145, 0, true",
    "CATCHING_UP, 145, 145, 0, false",
    "CATCHING_UP, 145, 145, 4096, true",
    "CATCHING_UP, 145, -1, 4096, true",
    "IN_SYNC, 145, 145, 0, false",
    "IN_SYNC, 145, 145, 4096, false",
    "IN_SYNC, 144, 145, 0, true",
    "CONNECTING, 145, 145, 0, true",
    "BACKING_OFF, 145, -1, 0, true",
    "LOADING, 0, -1, 0, false",
    "TRUNCATING, 150, 145, 0, false",
    "TRUNCATING, 140, 145, 0, true",
  })
  void behindTable(FollowerState state, long logEnd, long leaderEnd, long staged, boolean behind) {
    assertEquals(behind, StallDetector.isBehind(sample(state, logEnd, leaderEnd, staged, "")));
  }

  @Test
  void replicaInSyncIsNeverStalledHoweverLongThePartitionIsIdle() {
    Snapshot idle = sample(FollowerState.IN_SYNC, 145, 145, 0, "");
    Tracking t = detector.start(idle, T0);
    for (long now = T0; now <= T0 + 10 * T; now += SECOND) {
      Decision d = detector.observe(t, idle, now);
      assertEquals(Outcome.NONE, d.outcome(), "at " + (now - T0) / SECOND + "s");
      t = d.tracking();
    }
    assertEquals(0, t.totalStalls());
  }

  @Test
  void noProgressClockStartsWhenTheReplicaFallsBehindNotWhenItLastMoved() {
    Tracking t = detector.start(sample(FollowerState.IN_SYNC, 145, 145, 0, ""), T0);
    long behindAt = T0 + 3600 * SECOND;
    t = detector.observe(t, sample(FollowerState.IN_SYNC, 145, 145, 0, ""), behindAt).tracking();
    t = detector.observe(t, catchingUp(145, 160, 0), behindAt + SECOND).tracking();

    assertEquals(
        Outcome.NONE, detector.observe(t, catchingUp(145, 160, 0), behindAt + T - MS).outcome());
    assertEquals(
        Outcome.STALLED, detector.observe(t, catchingUp(145, 160, 0), behindAt + T).outcome());
  }

  @ParameterizedTest(name = "staged {0} -> {1} bytes at the same offset is progress: {2}")
  @CsvSource({
    "1048576, 2097152, true",
    "1048576, 1048576, false",
    "1048576, 0, false",
  })
  void growingStagedBytesCountAsProgress(long stagedBefore, long stagedAfter, boolean progress) {
    Tracking t = detector.start(catchingUp(120, 145, stagedBefore), T0);
    long moved = T0 + 10 * SECOND;
    t = detector.observe(t, catchingUp(120, 145, stagedAfter), moved).tracking();

    Decision d = detector.observe(t, catchingUp(120, 145, stagedAfter), T0 + T);
    assertEquals(progress ? Outcome.NONE : Outcome.STALLED, d.outcome());
    if (progress) {
      assertEquals(moved, d.tracking().progressNanos());
      assertEquals(
          Outcome.STALLED,
          detector.observe(t, catchingUp(120, 145, stagedAfter), moved + T).outcome());
    }
  }

  @Test
  void stagingTheSameBytesAgainAfterARestartIsNotProgress() {
    // The incident's loop: the same range arrives again and again; nothing new is ever held.
    Tracking t = detector.start(catchingUp(120, 145, 3_145_728), T0);
    t = detector.observe(t, catchingUp(120, 145, 0), T0 + 5 * SECOND).tracking();
    t = detector.observe(t, catchingUp(120, 145, 1_048_576), T0 + 8 * SECOND).tracking();
    t = detector.observe(t, catchingUp(120, 145, 3_145_728), T0 + 12 * SECOND).tracking();

    assertEquals(
        Outcome.STALLED, detector.observe(t, catchingUp(120, 145, 3_145_728), T0 + T).outcome());
  }

  @Test
  void movingLogEndOffsetIsProgressAndForgetsTheStagedHighMark() {
    Tracking t = detector.start(catchingUp(120, 145, 3_145_728), T0);
    t = detector.observe(t, catchingUp(121, 145, 0), T0 + 10 * SECOND).tracking();
    assertEquals(T0 + 10 * SECOND, t.progressNanos());
    assertEquals(0, t.maxStagedBytes());

    Decision d = detector.observe(t, catchingUp(121, 145, 1024), T0 + 20 * SECOND);
    assertEquals(Outcome.NONE, d.outcome());
    assertEquals(T0 + 20 * SECOND, d.tracking().progressNanos());
  }

  @Test
  void notReplicatingForTheStallTimeoutIsAStall() {
    Snapshot connecting = sample(FollowerState.BACKING_OFF, 120, -1, 0, "connection refused");
    assertEquals(Outcome.NONE, afterElapsed(connecting, T - MS).outcome());
    assertEquals(Outcome.STALLED, afterElapsed(connecting, T).outcome());
  }

  @ParameterizedTest(name = "stall {0}: level {1}, frames / {2}, healthy {3}")
  @CsvSource({
    "1, 1, 0, true",
    "2, 2, 2, true",
    "3, 3, 4, false",
    "4, 3, 4, false",
    "7, 3, 4, false"
  })
  void repeatedStallsEscalate(int stall, int level, int divisor, boolean healthy) {
    Tracking t = detector.start(STUCK, T0);
    Decision d = null;
    for (int i = 1; i <= stall; i++) {
      d = detector.observe(t, STUCK, T0 + i * T);
      assertEquals(Outcome.STALLED, d.outcome(), "stall " + i);
      t = d.tracking();
    }
    assertEquals(stall, d.stallCount());
    assertEquals(level, t.escalationLevel());
    assertEquals(
        divisor == 0 ? OptionalInt.empty() : OptionalInt.of(divisor), d.frameLimitDivisor());
    assertEquals(healthy, t.healthy());
    assertEquals(stall, t.totalStalls());
  }

  @ParameterizedTest(name = "next stall {0} ms around stall-timeout after the last -> stalled {1}")
  @CsvSource({"-1, false", "0, true", "1, true"})
  void whileStalledTheNextStallComesOneTimeoutAfterTheLast(long offsetMillis, boolean stalled) {
    Tracking t = detector.start(STUCK, T0);
    long firstStall = T0 + T + 300 * MS;
    t = detector.observe(t, STUCK, firstStall).tracking();
    assertEquals(1, t.stallCount());

    Decision d = detector.observe(t, STUCK, firstStall + T + offsetMillis * MS);
    assertEquals(stalled ? Outcome.STALLED : Outcome.NONE, d.outcome());
    assertEquals(stalled ? 2 : 1, d.tracking().stallCount());
    assertTrue(d.tracking().stalled());
  }

  @Test
  void progressAfterStallsRecoversAndResetsTheEscalation() {
    Tracking t = detector.start(STUCK, T0);
    for (int i = 1; i <= 3; i++) {
      t = detector.observe(t, STUCK, T0 + i * T).tracking();
    }
    assertFalse(t.healthy());

    long movedAt = T0 + 3 * T + SECOND;
    Decision recovered = detector.observe(t, catchingUp(121, 145, 0), movedAt);
    assertEquals(Outcome.RECOVERED, recovered.outcome());
    assertEquals(3, recovered.stallCount());
    // Still behind: the smaller frames stay until the replica has caught up.
    assertEquals(OptionalInt.empty(), recovered.frameLimitDivisor());
    assertTrue(recovered.tracking().framesLimited());
    Decision caughtUp =
        detector.observe(recovered.tracking(), catchingUp(145, 145, 0), movedAt + MS);
    assertEquals(OptionalInt.of(1), caughtUp.frameLimitDivisor());
    assertFalse(caughtUp.tracking().framesLimited());
    Tracking after = recovered.tracking();
    assertFalse(after.stalled());
    assertEquals(0, after.escalationLevel());
    assertTrue(after.healthy());
    assertEquals(3, after.totalStalls());

    // A new episode needs a whole stall-timeout without progress again, and starts at level 1.
    assertEquals(
        Outcome.NONE, detector.observe(after, catchingUp(121, 145, 0), movedAt + T - MS).outcome());
    Decision again = detector.observe(after, catchingUp(121, 145, 0), movedAt + T);
    assertEquals(Outcome.STALLED, again.outcome());
    assertEquals(1, again.tracking().escalationLevel());
    assertEquals(4, again.tracking().totalStalls());
  }

  @Test
  void catchingUpWithoutOwnProgressAlsoRecovers() {
    // e.g. a new leader's log ends where ours does: nothing left to fetch.
    Tracking t = detector.observe(detector.start(STUCK, T0), STUCK, T0 + T).tracking();
    Decision d =
        detector.observe(t, sample(FollowerState.IN_SYNC, 120, 120, 0, ""), T0 + T + SECOND);
    assertEquals(Outcome.RECOVERED, d.outcome());
    assertEquals(1, d.stallCount());
  }

  @Test
  void stallLineNamesReplicaOffsetsBytesStateAndLastError() {
    Snapshot s = sample(FollowerState.CATCHING_UP, 120, 145, 3_145_728, "connection reset");
    Decision d = afterElapsed(s, T);
    assertEquals(
        "replica orders-3 stalled: no progress for 15s at offset 120 (leader at 145, 25 behind,"
            + " 3145728 bytes staged), state catchingUp, last error \"connection reset\";"
            + " restarting its transfer",
        StallDetector.describeStall("orders-3", s, d, T0 + T));
  }

  @Test
  void escalatedStallLinesSayWhatIsDone() {
    Snapshot s = sample(FollowerState.BACKING_OFF, 120, -1, 0, "");
    Tracking t = detector.start(s, T0);
    String[] lines = new String[4];
    for (int i = 1; i <= 4; i++) {
      Decision d = detector.observe(t, s, T0 + i * T);
      lines[i - 1] = StallDetector.describeStall("orders-3", s, d, T0 + i * T);
      t = d.tracking();
    }
    assertEquals(
        "replica orders-3 still stalled (stall 2): no progress for 30s at offset 120 (leader end"
            + " unknown, 0 bytes staged), state backingOff, last error none; restarting its"
            + " transfer with frames limited to peer-max-bytes/2",
        lines[1]);
    assertTrue(lines[2].endsWith("peer-max-bytes/4; replica marked unhealthy"));
    assertTrue(lines[3].endsWith("; replica still unhealthy"));
  }

  @Test
  void healthReportsLagAndTimeWithoutProgress() {
    Snapshot s = sample(FollowerState.CATCHING_UP, 120, 145, 4096, "broken pipe");
    Tracking t = detector.start(s, T0);
    t = detector.observe(t, s, T0 + 9 * SECOND + 900 * MS).tracking();
    ReplicaHealth h = StallDetector.health("orders-3", s, t, T0 + 9 * SECOND + 900 * MS);
    assertEquals(
        new ReplicaHealth(
            "orders-3",
            FollowerState.CATCHING_UP,
            false,
            0,
            0,
            true,
            9,
            120,
            145,
            25,
            4096,
            1,
            "broken pipe",
            0),
        h);
    assertEquals(0, StallDetector.offsetsBehind(sample(FollowerState.CONNECTING, 120, -1, 0, "")));
    assertEquals(0, StallDetector.offsetsBehind(sample(FollowerState.TRUNCATING, 150, 145, 0, "")));
  }

  @Test
  void elapsedTimesPrintInSecondsWhenWhole() {
    assertEquals("15s", StallDetector.formatElapsed(15 * SECOND));
    assertEquals("15001ms", StallDetector.formatElapsed(15 * SECOND + MS));
  }
}
