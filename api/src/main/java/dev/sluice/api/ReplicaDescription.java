package dev.sluice.api;

import java.util.Objects;

/**
 * One replica of a partition in a topic description: the controller's assignment (node, role)
 * joined with the status the holding node reported. Numbers the server does not know are {@value
 * #UNKNOWN}: a node that did not answer reports no offsets, and only the leader measures how far a
 * follower is behind.
 *
 * <p>Thread-safety: immutable.
 *
 * @param node id of the node holding the replica
 * @param role what the replica does for the partition
 * @param leo log end offset, {@value #UNKNOWN} unknown
 * @param hw high watermark as this replica knows it, {@value #UNKNOWN} unknown
 * @param state what the replica reports; {@link ReplicaState#UNKNOWN} when its node did not answer
 * @param lagBytes bytes behind the leader as the leader measures them (0 on the leader), {@value
 *     #UNKNOWN} unknown
 * @param lastError on a follower: the last transfer error, empty if none
 * @param backoffMillis on a follower: the current reconnect delay, 0 when connected
 * @param stalled on a follower: flagged by the stall watchdog
 * @param stallCount on a follower: stalls counted since it last recovered
 */
public record ReplicaDescription(
    int node,
    ReplicaRole role,
    long leo,
    long hw,
    ReplicaState state,
    long lagBytes,
    String lastError,
    long backoffMillis,
    boolean stalled,
    int stallCount) {

  /** A number the server does not know. */
  public static final long UNKNOWN = -1;

  public ReplicaDescription {
    Objects.requireNonNull(role, "role");
    state = state == null ? ReplicaState.UNKNOWN : state;
    lastError = lastError == null ? "" : lastError;
  }

  /** A replica whose node did not answer (or was not asked): only the assignment is known. */
  public static ReplicaDescription unknown(int node, ReplicaRole role) {
    return new ReplicaDescription(
        node, role, UNKNOWN, UNKNOWN, ReplicaState.UNKNOWN, UNKNOWN, "", 0, false, 0);
  }

  /**
   * The watchdog's and the follower's view in one short text: {@code ok}, or any of {@code
   * STALLED}, {@code stalls=N}, {@code backoff=Nms}, {@code error=...} in that order.
   */
  public String health() {
    StringBuilder sb = new StringBuilder();
    if (stalled) {
      sb.append("STALLED ");
    }
    if (stallCount > 0) {
      sb.append("stalls=").append(stallCount).append(' ');
    }
    if (backoffMillis > 0) {
      sb.append("backoff=").append(backoffMillis).append("ms ");
    }
    if (!lastError.isBlank()) {
      sb.append("error=").append(lastError);
    }
    return sb.length() == 0 ? "ok" : sb.toString().trim();
  }
}
