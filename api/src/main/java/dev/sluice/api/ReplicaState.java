package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;

/**
 * The state a replica reports, as shown to clients and operators. On the wire it is the {@link
 * #label()}, in camel case.
 *
 * <p>A follower reports the state of its catch-up state machine ({@link #LOADING} to {@link
 * #BACKING_OFF}), except that the server shows a follower that reached the leader's end but is not
 * (yet) in the controller's in-sync set as {@link #CAUGHT_UP}, never {@link #IN_SYNC}: membership
 * of the in-sync set is the controller's decision. A leader reports {@link #LEADING}. A replica
 * whose node did not answer is {@link #UNKNOWN}, which is also what a client reads for a label it
 * does not know (a newer server's).
 *
 * <p>Thread-safety: immutable.
 */
public enum ReplicaState implements WireLabel {
  /** A follower opening its log. */
  LOADING,
  /** A follower connecting to the leader. */
  CONNECTING,
  /** A follower cutting its log back to where it agrees with the leader's. */
  TRUNCATING,
  /** A follower copying the leader's log, not yet at its end. */
  CATCHING_UP,
  /** A follower at the leader's end that the controller has not (re)admitted to the in-sync set. */
  CAUGHT_UP,
  /** A follower at the leader's end and in the in-sync set. */
  IN_SYNC,
  /** A follower waiting before it reconnects after a failure. */
  BACKING_OFF,
  /** The leader. */
  LEADING,
  /** The node holding the replica did not answer; also any label this client does not know. */
  @JsonEnumDefaultValue
  UNKNOWN,
  /**
   * A replica that closed while management still lists it (JMX, metrics), until the next sync
   * removes it. Never in a topic description.
   */
  CLOSED;

  /** The label, so that tables and log lines print what the wire says. */
  @Override
  public String toString() {
    return label();
  }
}
