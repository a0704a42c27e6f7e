package dev.sluice.replication.follower;

/**
 * The states of a follower's catch-up state machine ({@link FollowerReplica}), as published in its
 * {@link FollowerStatus} and judged by the stall watchdog. Each has a {@link #label()}: the name
 * status pages, {@code GET /topics/{t}}, metrics and JMX show, and that log lines print.
 */
public enum FollowerState {
  /** Opening the local log: the start position comes from it. */
  LOADING("loading"),
  /** An attempt to the leader is starting: handshake sent, the leader's answer not yet heard. */
  CONNECTING("connecting"),
  /** The leader reported divergence: the local log is being cut back (leader-epoch rule). */
  TRUNCATING("truncating"),
  /** Connected, behind the leader's log end: frames arrive and are appended. */
  CATCHING_UP("catchingUp"),
  /** Connected, at the leader's log end: tailing it. */
  IN_SYNC("inSync"),
  /** Waiting for the backoff timer before the next attempt. */
  BACKING_OFF("backingOff");

  private final String label;

  FollowerState(String label) {
    this.label = label;
  }

  /** The state's name on the wire and in logs, e.g. {@code catchingUp}. */
  public String label() {
    return label;
  }

  /**
   * False while the follower has no working connection to move its log ({@code CONNECTING}, {@code
   * BACKING_OFF}): a follower in such a state is behind whatever its offsets say. {@code LOADING}
   * and {@code TRUNCATING} are short local steps that stamp progress when they end, so they count
   * as replicating: a stuck one still shows as behind through its offsets.
   */
  public boolean replicating() {
    return this != CONNECTING && this != BACKING_OFF;
  }

  /** True when the follower's log has reached the leader's end ({@code IN_SYNC}). */
  public boolean atLeaderEnd() {
    return this == IN_SYNC;
  }

  @Override
  public String toString() {
    return label;
  }
}
