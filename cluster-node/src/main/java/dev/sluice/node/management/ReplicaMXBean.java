package dev.sluice.node.management;

/**
 * One local partition replica over JMX, registered as {@code
 * dev.sluice:type=Replica,node=<id>,topic=<t>,partition=<p>}. Every attribute is read from the
 * replica when asked; none blocks. A replica that has just closed reads role {@code closed} until
 * the next registration sync removes it.
 */
public interface ReplicaMXBean {
  /** {@code leader} or {@code follower}. */
  String getRole();

  /** The follower FSM state; {@code leading} on the leader. */
  String getState();

  long getLogEndOffset();

  long getHighWatermark();

  long getLogStartOffset();

  /** Bytes of all the log's segments. */
  long getSizeBytes();

  /** Bytes behind the leader: 0 on the leader, -1 where this node does not know. */
  long getLagBytes();

  /** Stalled in the watchdog's judgement: behind with no progress for the stall timeout. */
  boolean isStalled();

  /** Stalls in the current episode; 0 once the replica moves again. */
  int getStallCount();

  /** The follower's last transfer error, empty if none. */
  String getLastError();

  /** The follower's current reconnect delay. */
  long getBackoffMillis();

  /** Replication bytes received while following. */
  long getBytesReceived();

  /** Received bytes this replica already held: the cost of restarted transfers. */
  long getResentBytes();
}
