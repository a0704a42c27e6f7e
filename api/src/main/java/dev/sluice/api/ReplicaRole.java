package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * What a replica does for its partition, as the controller's assignment says. On the wire it is the
 * {@link #label()}.
 *
 * <p>Thread-safety: immutable.
 */
public enum ReplicaRole {
  /** Takes produces and decides the high watermark. */
  LEADER("leader"),
  /** Copies the leader's log. */
  FOLLOWER("follower");

  private final String label;

  ReplicaRole(String label) {
    this.label = label;
  }

  /** The wire form. */
  @JsonValue
  public String label() {
    return label;
  }

  /** The label, so that tables and log lines print what the wire says. */
  @Override
  public String toString() {
    return label;
  }
}
