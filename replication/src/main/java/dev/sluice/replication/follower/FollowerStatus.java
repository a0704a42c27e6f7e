package dev.sluice.replication.follower;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * What a follower replica publishes about itself for status pages, metrics and the stall watchdog.
 * Written by the follower's actor only, read from any thread: every field is volatile and readers
 * get a consistent-enough {@link Snapshot} without locking (each value is individually up to date;
 * a reader may see a state change a moment before the matching offset).
 *
 * <p>It also keeps the wall-clock instants of the follower's catch-up ({@link CatchUpInstants}),
 * which a benchmark compares with the JVM's start and the node's other instants: epoch
 * milliseconds, {@value #UNKNOWN} until the event happened.
 */
public final class FollowerStatus {
  /** An instant that did not happen yet. */
  public static final long UNKNOWN = -1;

  /**
   * When the catch-up of this follower role reached each step, in epoch milliseconds ({@value
   * #UNKNOWN} not yet).
   *
   * @param handshakeAcceptedMillis the first frame of the leader after a handshake: the leader
   *     accepted it (status, batches, chunk or divergence answer)
   * @param firstByteMillis the first record bytes that arrived (batch appended or chunk staged)
   * @param lastByteMillis the latest record bytes that arrived: at the end of a catch-up with no
   *     new produce, the last byte of the backlog
   */
  public record CatchUpInstants(
      long handshakeAcceptedMillis, long firstByteMillis, long lastByteMillis) {}

  /** Immutable view of the status at one moment. */
  public record Snapshot(
      FollowerState state,
      long logEndOffset,
      long leaderLogEndOffset,
      long highWatermark,
      long stagedBytes,
      long bytesReceived,
      long resentBytes,
      int attempts,
      Duration currentBackoff,
      String lastError,
      long lastProgressNanos,
      int frameLimitDivisor) {}

  private volatile FollowerState state = FollowerState.LOADING;
  private volatile long logEndOffset;
  private volatile long leaderLogEndOffset = -1;
  private volatile long highWatermark;
  private volatile long stagedBytes;
  private volatile long bytesReceived;
  private volatile long resentBytes;
  private volatile int attempts;
  private volatile Duration currentBackoff = Duration.ZERO;
  private volatile String lastError = "";
  private volatile long lastProgressNanos;
  private volatile int frameLimitDivisor = 1;
  private final LongSupplier wallClockMillis;
  private volatile long handshakeAcceptedMillis = UNKNOWN;
  private volatile long firstByteMillis = UNKNOWN;
  private volatile long lastByteMillis = UNKNOWN;

  /** A status whose catch-up instants come from the system's wall clock. */
  public FollowerStatus() {
    this(System::currentTimeMillis);
  }

  /**
   * @param wallClockMillis the wall clock (epoch milliseconds) of the catch-up instants
   */
  public FollowerStatus(LongSupplier wallClockMillis) {
    this.wallClockMillis = wallClockMillis;
  }

  public Snapshot snapshot() {
    return new Snapshot(
        state,
        logEndOffset,
        leaderLogEndOffset,
        highWatermark,
        stagedBytes,
        bytesReceived,
        resentBytes,
        attempts,
        currentBackoff,
        lastError,
        lastProgressNanos,
        frameLimitDivisor);
  }

  public FollowerState state() {
    return state;
  }

  public void state(FollowerState newState) {
    this.state = newState;
  }

  public void offsets(long logEndOffset, long highWatermark) {
    this.logEndOffset = logEndOffset;
    this.highWatermark = highWatermark;
  }

  public void leaderLogEndOffset(long leaderLogEndOffset) {
    this.leaderLogEndOffset = leaderLogEndOffset;
  }

  public void stagedBytes(long stagedBytes) {
    this.stagedBytes = stagedBytes;
  }

  /** Bytes that arrived; {@code resent} of them were bytes this follower already held. */
  public void received(long bytes, long resent) {
    this.bytesReceived += bytes;
    this.resentBytes += resent;
  }

  public void attemptStarted() {
    this.attempts++;
  }

  public void backoff(Duration backoff) {
    this.currentBackoff = backoff;
  }

  public void lastError(String error) {
    this.lastError = error == null ? "" : error;
  }

  /** Marks progress (log end offset or staged bytes moved) at {@code nanos} (injected clock). */
  public void progressAt(long nanos) {
    this.lastProgressNanos = nanos;
  }

  /** Escalation: frames of peer-max-bytes / divisor were asked for. */
  public void frameLimitDivisor(int divisor) {
    this.frameLimitDivisor = divisor;
  }

  /** A frame of the leader arrived: the first one marks the handshake as accepted. */
  public void frameArrived() {
    if (handshakeAcceptedMillis == UNKNOWN) {
      handshakeAcceptedMillis = wallClockMillis.getAsLong();
    }
  }

  /** Record bytes arrived (a batch appended or a chunk staged). */
  public void recordBytesArrived() {
    long now = wallClockMillis.getAsLong();
    frameArrived();
    if (firstByteMillis == UNKNOWN) {
      firstByteMillis = now;
    }
    lastByteMillis = now;
  }

  public CatchUpInstants catchUpInstants() {
    return new CatchUpInstants(handshakeAcceptedMillis, firstByteMillis, lastByteMillis);
  }
}
