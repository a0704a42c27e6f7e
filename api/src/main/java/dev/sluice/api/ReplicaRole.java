package dev.sluice.api;

/**
 * What a replica does for its partition, as the controller's assignment says. On the wire it is the
 * {@link #label()}.
 *
 * <p>Thread-safety: immutable.
 */
public enum ReplicaRole implements WireLabel {
  /** Takes produces and decides the high watermark. */
  LEADER,
  /** Copies the leader's log. */
  FOLLOWER;

  /** The label, so that tables and log lines print what the wire says. */
  @Override
  public String toString() {
    return label();
  }
}
