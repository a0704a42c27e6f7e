package dev.sluice.replication.watchdog;

import dev.sluice.replication.follower.FollowerState;
import dev.sluice.replication.follower.FollowerStatus.Snapshot;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The stall rules for one replica, as a pure function: (what was known, a new status sample, the
 * time) to (what is known now, what to do). No actor, no clock, no I/O, so every rule is tested
 * with plain tables; {@link StallWatchdog} only feeds it samples and carries out its decisions.
 *
 * <p>The rules:
 *
 * <ul>
 *   <li><b>Behind</b>: the leader's log end offset (when known) is past the follower's; or bytes of
 *       an oversized batch are staged while the follower is not at the leader's end; or the
 *       follower is not replicating at all ({@link FollowerState#replicating()}: connecting or
 *       backing off).
 *   <li><b>Progress</b>: the log end offset changed, or more bytes are staged at the same log end
 *       offset than were ever seen staged there. Progress is measured here, from successive
 *       samples, not taken from the follower's own timestamp. Staging the same bytes again after a
 *       restart is <i>not</i> progress: that is exactly the endless resend loop of the incident.
 *   <li>A replica that is not behind counts as progressing: the no-progress clock runs only while
 *       behind, so a caught-up replica of an idle partition is never stalled.
 *   <li><b>Stalled</b>: behind with no progress for at least {@code stallTimeout}. Each further
 *       {@code stallTimeout} without progress is another stall of the same episode, and escalates:
 *       stall 1 restarts the transfer; stall 2 also asks for frames of peer-max-bytes/2; stall 3
 *       and later ask for peer-max-bytes/4 and mark the replica unhealthy ({@link #TOP_LEVEL}).
 *   <li><b>Recovered</b>: a stalled replica made progress or is no longer behind. The escalation
 *       drops back to 0 and full frames are asked for again.
 * </ul>
 *
 * <p>Times are nanoseconds from one monotonic clock and only ever subtracted, so the origin does
 * not matter. Instances are immutable and thread-safe.
 */
public final class StallDetector {

  /** The escalation level at which a replica is reported unhealthy (metrics, status pages). */
  public static final int TOP_LEVEL = 3;

  /** What a sample led to. */
  public enum Outcome {
    /** Nothing to do. */
    NONE,
    /** Another stall: restart the transfer (and apply {@link Decision#frameLimitDivisor()}). */
    STALLED,
    /** A stalled replica moved again: restore full frames. */
    RECOVERED
  }

  /**
   * What the watchdog remembers about one replica between samples.
   *
   * @param logEndOffset log end offset at the last sample
   * @param maxStagedBytes most bytes seen staged at that log end offset
   * @param progressNanos last time progress was seen (or the replica was not behind)
   * @param stalled in a stall episode
   * @param stallCount stalls in the current episode
   * @param lastStallNanos time of the latest stall, from which the next one is counted
   * @param totalStalls stalls since watching began
   */
  public record Tracking(
      long logEndOffset,
      long maxStagedBytes,
      long progressNanos,
      boolean stalled,
      int stallCount,
      long lastStallNanos,
      long totalStalls,
      boolean framesLimited) {

    public int escalationLevel() {
      return Math.min(stallCount, TOP_LEVEL);
    }

    public boolean healthy() {
      return escalationLevel() < TOP_LEVEL;
    }
  }

  /**
   * The result of one sample.
   *
   * @param outcome what happened
   * @param tracking what to remember for the next sample
   * @param stallCount for {@code STALLED} the number of this stall in its episode, for {@code
   *     RECOVERED} how many stalls the episode had, otherwise 0
   * @param frameLimitDivisor the frame limit to ask the follower for, if it changes
   */
  public record Decision(
      Outcome outcome, Tracking tracking, int stallCount, OptionalInt frameLimitDivisor) {}

  private final long stallTimeoutNanos;

  /**
   * @param stallTimeout {@code sluice.watchdog.stall-timeout}, positive (the settings validator
   *     checks it against the sampling interval)
   */
  public StallDetector(Duration stallTimeout) {
    this.stallTimeoutNanos = Objects.requireNonNull(stallTimeout, "stallTimeout").toNanos();
  }

  public Duration stallTimeout() {
    return Duration.ofNanos(stallTimeoutNanos);
  }

  /** The baseline when watching starts: the no-progress clock starts now. */
  public Tracking start(Snapshot sample, long nowNanos) {
    return new Tracking(
        sample.logEndOffset(), sample.stagedBytes(), nowNanos, false, 0, 0L, 0L, false);
  }

  /** Applies the rules to a new sample taken at {@code nowNanos}. */
  public Decision observe(Tracking previous, Snapshot sample, long nowNanos) {
    boolean offsetMoved = sample.logEndOffset() != previous.logEndOffset();
    boolean progressed = offsetMoved || sample.stagedBytes() > previous.maxStagedBytes();
    long maxStaged =
        offsetMoved
            ? sample.stagedBytes()
            : Math.max(previous.maxStagedBytes(), sample.stagedBytes());

    if (progressed || !isBehind(sample)) {
      // Smaller frames stay until the replica has caught up: a link that only carries small
      // frames would stall again at once if progress alone brought full frames back.
      boolean caughtUp = !isBehind(sample);
      OptionalInt fullFrames =
          previous.framesLimited() && caughtUp ? OptionalInt.of(1) : OptionalInt.empty();
      Tracking moving =
          new Tracking(
              sample.logEndOffset(),
              maxStaged,
              nowNanos,
              false,
              0,
              previous.lastStallNanos(),
              previous.totalStalls(),
              previous.framesLimited() && !caughtUp);
      return previous.stalled()
          ? new Decision(Outcome.RECOVERED, moving, previous.stallCount(), fullFrames)
          : new Decision(Outcome.NONE, moving, 0, fullFrames);
    }

    long countFrom = previous.stalled() ? previous.lastStallNanos() : previous.progressNanos();
    if (nowNanos - countFrom < stallTimeoutNanos) {
      Tracking waiting =
          new Tracking(
              previous.logEndOffset(),
              maxStaged,
              previous.progressNanos(),
              previous.stalled(),
              previous.stallCount(),
              previous.lastStallNanos(),
              previous.totalStalls(),
              previous.framesLimited());
      return new Decision(Outcome.NONE, waiting, 0, OptionalInt.empty());
    }

    int stall = previous.stallCount() + 1;
    OptionalInt divisor = frameLimitDivisorFor(stall);
    Tracking stalled =
        new Tracking(
            previous.logEndOffset(),
            maxStaged,
            previous.progressNanos(),
            true,
            stall,
            nowNanos,
            previous.totalStalls() + 1,
            previous.framesLimited() || divisor.isPresent());
    return new Decision(Outcome.STALLED, stalled, stall, divisor);
  }

  /** Stall 1 only restarts; stall 2 halves the frames; stall 3 and later quarter them. */
  static OptionalInt frameLimitDivisorFor(int stall) {
    if (stall <= 1) {
      return OptionalInt.empty();
    }
    return OptionalInt.of(stall == 2 ? 2 : 4);
  }

  /** Whether the sample shows a replica that still has something to fetch, or cannot fetch. */
  public static boolean isBehind(Snapshot sample) {
    if (sample.leaderLogEndOffset() >= 0 && sample.leaderLogEndOffset() > sample.logEndOffset()) {
      return true;
    }
    if (!sample.state().replicating()) {
      return true;
    }
    return sample.stagedBytes() > 0 && !sample.state().atLeaderEnd();
  }

  /** Leader's end minus ours; 0 when the leader's end is unknown or we are ahead. */
  public static long offsetsBehind(Snapshot sample) {
    return sample.leaderLogEndOffset() < 0
        ? 0
        : Math.max(0, sample.leaderLogEndOffset() - sample.logEndOffset());
  }

  /** The published view of a replica after a sample. */
  public static ReplicaHealth health(
      String name, Snapshot sample, Tracking tracking, long nowNanos) {
    long withoutProgress = Math.max(0, nowNanos - tracking.progressNanos());
    return new ReplicaHealth(
        name,
        sample.state(),
        tracking.stalled(),
        tracking.stallCount(),
        tracking.escalationLevel(),
        tracking.healthy(),
        Duration.ofNanos(withoutProgress).toSeconds(),
        sample.logEndOffset(),
        sample.leaderLogEndOffset(),
        offsetsBehind(sample),
        sample.stagedBytes(),
        sample.frameLimitDivisor(),
        sample.lastError(),
        tracking.totalStalls());
  }

  /**
   * The one log line of a stall: partition, offsets, bytes staged, FSM state, last error and the
   * remedy, e.g. {@code replica orders-3 stalled: no progress for 15s at offset 120 (leader at 145,
   * 25 behind, 3145728 bytes staged), state catchingUp, last error "connection reset"; restarting
   * its transfer}.
   */
  public static String describeStall(
      String name, Snapshot sample, Decision decision, long nowNanos) {
    int stall = decision.stallCount();
    StringBuilder b = new StringBuilder("replica ").append(name);
    b.append(stall <= 1 ? " stalled" : " still stalled (stall " + stall + ")");
    b.append(": no progress for ")
        .append(formatElapsed(nowNanos - decision.tracking().progressNanos()));
    b.append(" at offset ").append(sample.logEndOffset());
    if (sample.leaderLogEndOffset() < 0) {
      b.append(" (leader end unknown, ");
    } else {
      b.append(" (leader at ")
          .append(sample.leaderLogEndOffset())
          .append(", ")
          .append(offsetsBehind(sample))
          .append(" behind, ");
    }
    b.append(sample.stagedBytes()).append(" bytes staged), state ").append(sample.state().label());
    String error = sample.lastError();
    b.append(", last error ")
        .append(error == null || error.isEmpty() ? "none" : "\"" + error + "\"");
    b.append("; restarting its transfer");
    decision
        .frameLimitDivisor()
        .ifPresent(d -> b.append(" with frames limited to peer-max-bytes/").append(d));
    if (stall == TOP_LEVEL) {
      b.append("; replica marked unhealthy");
    } else if (stall > TOP_LEVEL) {
      b.append("; replica still unhealthy");
    }
    return b.toString();
  }

  /** The reason handed to the follower with a restart, short enough for its own logs. */
  public static String restartReason(Decision decision, long nowNanos) {
    return "watchdog: stall "
        + decision.stallCount()
        + ", no progress for "
        + formatElapsed(nowNanos - decision.tracking().progressNanos())
        + " at offset "
        + decision.tracking().logEndOffset();
  }

  public static String describeRecovery(String name, Snapshot sample, Decision decision) {
    int stalls = decision.stallCount();
    return "replica "
        + name
        + " recovered after "
        + stalls
        + (stalls == 1 ? " stall" : " stalls")
        + ": at offset "
        + sample.logEndOffset()
        + ", "
        + offsetsBehind(sample)
        + " behind, state "
        + sample.state().label()
        + (decision.frameLimitDivisor().isPresent()
            ? "; full frames restored"
            : decision.tracking().framesLimited() ? "; frames stay small until caught up" : "");
  }

  /** {@code 15s} for whole seconds, {@code 15250ms} otherwise. */
  static String formatElapsed(long nanos) {
    long millis = Duration.ofNanos(Math.max(0, nanos)).toMillis();
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }
}
