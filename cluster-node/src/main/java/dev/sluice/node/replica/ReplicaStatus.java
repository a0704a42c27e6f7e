package dev.sluice.node.replica;

import dev.sluice.replication.follower.FollowerStatus;
import java.util.Map;

/**
 * A snapshot of one local replica, for the API, the CLI and management. Cheap to build: published
 * snapshots and one index lookup per follower on a leader; never a scan of the log.
 *
 * @param node id of the node holding this replica
 * @param role {@code leader} or {@code follower}
 * @param leo log end offset
 * @param hw high watermark
 * @param state follower FSM state ({@code leading} on the leader)
 * @param lagBytes bytes behind the leader as this replica knows it (-1: unknown here; the leader's
 *     {@code followerLagBytes} is authoritative)
 * @param logStartOffset first offset still in the log
 * @param followerLagBytes on the leader: bytes each follower is behind, by node id (-1: it has not
 *     reported in this term)
 * @param lastError on a follower: the last transfer error, empty if none
 * @param backoffMillis on a follower: the current reconnect delay
 * @param stalled on a follower: the watchdog found it behind with no progress for stall-timeout
 * @param stallCount on a follower: how many stalls the watchdog counted since it last recovered
 */
public record ReplicaStatus(
    int node,
    String role,
    long leo,
    long hw,
    String state,
    long lagBytes,
    long logStartOffset,
    Map<Integer, Long> followerLagBytes,
    String lastError,
    long backoffMillis,
    boolean stalled,
    int stallCount) {

  /** A leader's status. */
  public static ReplicaStatus leader(
      int node, long leo, long hw, long logStartOffset, Map<Integer, Long> followerLagBytes) {
    return new ReplicaStatus(
        node, "leader", leo, hw, "leading", 0, logStartOffset, followerLagBytes, "", 0, false, 0);
  }

  /** A follower's status; {@code fsm} is null before its catch-up FSM published anything. */
  public static ReplicaStatus follower(
      int node, long leo, long hw, long logStartOffset, FollowerStatus.Snapshot fsm) {
    return new ReplicaStatus(
        node,
        "follower",
        leo,
        hw,
        fsm == null ? "loading" : fsm.state().label(),
        -1,
        logStartOffset,
        Map.of(),
        fsm == null ? "" : fsm.lastError(),
        fsm == null ? 0 : fsm.currentBackoff().toMillis(),
        false,
        0);
  }

  /** This status with the watchdog's verdict on the replica. */
  public ReplicaStatus withStall(boolean isStalled, int stalls) {
    return new ReplicaStatus(
        node,
        role,
        leo,
        hw,
        state,
        lagBytes,
        logStartOffset,
        followerLagBytes,
        lastError,
        backoffMillis,
        isStalled,
        stalls);
  }
}
