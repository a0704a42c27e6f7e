package dev.sluice.replication.follower;

import java.time.Duration;

/**
 * What a follower replica publishes about itself for status pages, metrics and the stall watchdog.
 * Written by the follower's actor only, read from any thread: every field is volatile and readers
 * get a consistent-enough {@link Snapshot} without locking (each value is individually up to date;
 * a reader may see a state change a moment before the matching offset).
 */
public final class FollowerStatus {
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
}
