package dev.sluice.node.management;

import dev.sluice.log.PartitionLog;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.node.replica.ReplicaStatus;
import dev.sluice.node.replica.TopicPartition;
import dev.sluice.replication.watchdog.ReplicaHealth;
import dev.sluice.replication.watchdog.WatchdogState;
import java.util.Optional;

/**
 * One local replica as JMX and the metrics show it: a value built on demand from the replica, its
 * log and the watchdog's conclusions, and thrown away after use.
 *
 * <p>Building it never blocks: it reads the log's published offsets, the follower's published
 * status and the watchdog's immutable health records. On a leader it does not compute the
 * followers' lag (an index lookup per follower); {@code /replicas} shows that part.
 *
 * @param lagBytes bytes behind the leader: 0 on the leader, -1 where this node does not know
 * @param stalled the watchdog considers this replica stalled now
 * @param stallCount stalls in the current stall episode
 * @param totalStalls stalls of this replica since the watchdog began watching it
 * @param bytesReceived replication bytes received while following (0 where unknown)
 * @param resentBytes received bytes this replica already held (0 where unknown)
 */
public record ReplicaView(
    String topic,
    int partition,
    String role,
    String state,
    long logEndOffset,
    long highWatermark,
    long logStartOffset,
    long sizeBytes,
    int segmentCount,
    long lagBytes,
    boolean stalled,
    int stallCount,
    long totalStalls,
    String lastError,
    long backoffMillis,
    long bytesReceived,
    long resentBytes) {

  /** The role and state {@link PartitionReplica#status()} reports for a leader. */
  static final String LEADER = "leader";

  static final String LEADING = "leading";

  static final String CLOSED = "closed";

  /** A replica that closed after its MBean was registered, until the next sync removes it. */
  static ReplicaView closed(TopicPartition tp) {
    return new ReplicaView(
        tp.topic(), tp.partition(), CLOSED, CLOSED, -1, -1, -1, 0, 0, -1, false, 0, 0, "", 0, 0, 0);
  }

  public static ReplicaView of(PartitionReplica replica, WatchdogState watchdog) {
    TopicPartition tp = replica.topicPartition();
    PartitionLog log = replica.log();
    Optional<ReplicaHealth> health = watchdog.replica(tp.dirName());
    String role;
    String state;
    String lastError;
    long lagBytes;
    long backoffMillis;
    if (replica.isLeader()) {
      role = LEADER;
      state = LEADING;
      lastError = "";
      lagBytes = 0;
      backoffMillis = 0;
    } else {
      // A follower's status is lock-free: volatile fields and the follower's published snapshot.
      ReplicaStatus status = replica.status();
      role = status.role();
      state = status.state();
      lastError = status.lastError();
      lagBytes = status.lagBytes();
      backoffMillis = status.backoffMillis();
    }
    FollowerCounters counters = FollowerCounters.of(replica);
    return new ReplicaView(
        tp.topic(),
        tp.partition(),
        role,
        state,
        log.logEndOffset(),
        log.highWatermark(),
        log.logStartOffset(),
        log.sizeInBytes(),
        log.segmentCount(),
        lagBytes,
        health.map(ReplicaHealth::stalled).orElse(false),
        health.map(ReplicaHealth::stallCount).orElse(0),
        health.map(ReplicaHealth::totalStalls).orElse(0L),
        lastError,
        backoffMillis,
        counters.bytesReceived(),
        counters.resentBytes());
  }
}
