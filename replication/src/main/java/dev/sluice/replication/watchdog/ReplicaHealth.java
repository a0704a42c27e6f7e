package dev.sluice.replication.watchdog;

import dev.sluice.replication.follower.FollowerState;

/**
 * What the watchdog last concluded about one local follower replica; an immutable value read by
 * management (HTTP, JMX, metrics) through {@link WatchdogState}.
 *
 * @param name the replica (partition), e.g. {@code orders-3}
 * @param state the follower FSM state at the last sample
 * @param stalled behind its leader with no progress for the stall timeout, and not yet recovered
 * @param stallCount stalls in the current episode (0 once the replica recovers)
 * @param escalationLevel 0 none, 1 transfer restarted, 2 smaller frames, 3 unhealthy ({@link
 *     StallDetector#TOP_LEVEL})
 * @param healthy false at the top escalation level: reported as unhealthy (not a readiness matter:
 *     the node keeps serving the partitions it leads)
 * @param secondsSinceProgress how long the replica has been behind without progress (0 while caught
 *     up: a replica with nothing to fetch is not stuck)
 * @param logEndOffset the follower's log end offset
 * @param leaderLogEndOffset the leader's log end offset as last heard by the follower, -1 if
 *     unknown
 * @param offsetsBehind leader's end minus ours, 0 when the leader's end is unknown
 * @param stagedBytes bytes of an oversized batch staged but not yet appended
 * @param frameLimitDivisor frames the follower currently asks for: peer-max-bytes / this
 * @param lastError the follower's last transfer error, empty if none
 * @param totalStalls stalls of this replica since it was first watched (never reset)
 */
public record ReplicaHealth(
    String name,
    FollowerState state,
    boolean stalled,
    int stallCount,
    int escalationLevel,
    boolean healthy,
    long secondsSinceProgress,
    long logEndOffset,
    long leaderLogEndOffset,
    long offsetsBehind,
    long stagedBytes,
    int frameLimitDivisor,
    String lastError,
    long totalStalls) {}
