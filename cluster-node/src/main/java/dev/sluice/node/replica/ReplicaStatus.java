package dev.sluice.node.replica;

import dev.sluice.api.ReplicaRole;
import dev.sluice.api.ReplicaState;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.follower.FollowerState;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.leader.InSyncState;
import dev.sluice.replication.leader.LeaderView;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.watchdog.ReplicaHealth;
import dev.sluice.replication.watchdog.WatchdogState;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What this node knows of one of its replicas at one moment: the log's offsets and size, the role
 * and state, a follower's transfer counters, and the stall watchdog's verdict. The one status type
 * of the server: {@code GET /topics/{t}} gathers it from every node (it travels in {@link
 * ReplicaManager.Statuses}), and the management pages, JMX and the metrics show it. Built only by
 * {@link #of} and {@link #withFollowerLag}, which differ in one cost:
 *
 * <ul>
 *   <li>{@link #of} never blocks: it reads the log's published offsets, the follower's published
 *       snapshot, the leader's published view and the watchdog's immutable health records;
 *   <li>{@link #withFollowerLag} also measures, on a leader, how many bytes each follower is
 *       behind: one batch header read per follower ({@link PartitionLog#bytesAfter}), under the
 *       log's structure lock, so callers run it on the blocking-IO dispatcher.
 * </ul>
 *
 * <p>The fields are read one after another, not atomically: a role change while it is built may
 * show a follower's offsets with a leader's role. Every reader treats it as a sample.
 *
 * <p>Thread-safety: immutable.
 *
 * @param partition the replica's partition
 * @param node id of the node holding this replica
 * @param role the role the controller's assignment gives it here
 * @param state {@link ReplicaState#LEADING} on the leader, else the follower FSM's state ({@link
 *     ReplicaState#LOADING} before the FSM published one)
 * @param leo log end offset
 * @param hw high watermark
 * @param logStartOffset first offset still in the log
 * @param sizeBytes bytes of all the log's segments
 * @param segmentCount segments of the log
 * @param lagBytes bytes behind the leader as this replica knows it: 0 on the leader, -1 on a
 *     follower (the leader's {@code followerLagBytes} is authoritative)
 * @param followerLagBytes on a leader built {@link #withFollowerLag}: bytes each follower is
 *     behind, by node id (-1: it has not reported in this term); otherwise empty
 * @param lastError on a follower: the last transfer error, empty if none
 * @param backoffMillis on a follower: the current reconnect delay
 * @param stalled the watchdog found the replica behind with no progress for stall-timeout
 * @param stallCount stalls in the current stall episode; 0 once the replica moves again
 * @param totalStalls stalls of this replica since the watchdog began watching it
 * @param bytesReceived on a follower: replication bytes received while following (0 on a leader)
 * @param resentBytes on a follower: received bytes it already held, the cost of restarted transfers
 *     (0 on a leader)
 */
public record ReplicaStatus(
    PartitionId partition,
    int node,
    ReplicaRole role,
    ReplicaState state,
    long leo,
    long hw,
    long logStartOffset,
    long sizeBytes,
    int segmentCount,
    long lagBytes,
    Map<Integer, Long> followerLagBytes,
    String lastError,
    long backoffMillis,
    boolean stalled,
    int stallCount,
    long totalStalls,
    long bytesReceived,
    long resentBytes) {

  public ReplicaStatus {
    // Sorted by node: the order pages show.
    followerLagBytes =
        Collections.unmodifiableMap(
            followerLagBytes == null ? new TreeMap<>() : new TreeMap<>(followerLagBytes));
    lastError = lastError == null ? "" : lastError;
  }

  /** The replica's status without the followers' lag; never blocks. */
  public static ReplicaStatus of(PartitionReplica replica, WatchdogState watchdog) {
    return build(replica, watchdog, false);
  }

  /**
   * The replica's status with, on a leader, each follower's lag: reads one batch header per
   * follower, so run it on the blocking-IO dispatcher.
   */
  public static ReplicaStatus withFollowerLag(PartitionReplica replica, WatchdogState watchdog) {
    return build(replica, watchdog, true);
  }

  private static ReplicaStatus build(
      PartitionReplica replica, WatchdogState watchdog, boolean followerLag) {
    PartitionId partition = replica.partitionId();
    PartitionLog log = replica.log();
    Optional<ReplicaHealth> health = watchdog.replica(partition.dirName());
    boolean leader = replica.isLeader();
    FollowerStatus.Snapshot fsm =
        leader ? null : replica.followerStatus().map(FollowerStatus::snapshot).orElse(null);
    return new ReplicaStatus(
        partition,
        replica.localNode(),
        leader ? ReplicaRole.LEADER : ReplicaRole.FOLLOWER,
        leader ? ReplicaState.LEADING : fsm == null ? ReplicaState.LOADING : state(fsm.state()),
        log.logEndOffset(),
        log.highWatermark(),
        log.logStartOffset(),
        log.sizeInBytes(),
        log.segmentCount(),
        leader ? 0 : -1,
        leader && followerLag ? followerLag(replica) : Map.of(),
        fsm == null ? "" : fsm.lastError(),
        fsm == null ? 0 : fsm.currentBackoff().toMillis(),
        health.map(ReplicaHealth::stalled).orElse(false),
        health.map(ReplicaHealth::stallCount).orElse(0),
        health.map(ReplicaHealth::totalStalls).orElse(0L),
        fsm == null ? 0 : fsm.bytesReceived(),
        fsm == null ? 0 : fsm.resentBytes());
  }

  /** Each follower the leader heard from in this term, by node id: bytes from its log end on. */
  private static Map<Integer, Long> followerLag(PartitionReplica replica) {
    LeaderView view = replica.leaderView();
    Map<Integer, Long> lag = new TreeMap<>();
    for (Map.Entry<Integer, InSyncState.FollowerPosition> f : view.followers().entrySet()) {
      long end = f.getValue().logEndOffset();
      lag.put(f.getKey(), end < 0 ? -1 : replica.bytesAfter(end));
    }
    return lag;
  }

  /** The follower FSM's state as clients see it; the two enums name the same states. */
  static ReplicaState state(FollowerState state) {
    return switch (state) {
      case LOADING -> ReplicaState.LOADING;
      case CONNECTING -> ReplicaState.CONNECTING;
      case TRUNCATING -> ReplicaState.TRUNCATING;
      case CATCHING_UP -> ReplicaState.CATCHING_UP;
      case IN_SYNC -> ReplicaState.IN_SYNC;
      case BACKING_OFF -> ReplicaState.BACKING_OFF;
    };
  }
}
