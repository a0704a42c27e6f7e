package dev.sluice.node.management;

import java.util.List;

/**
 * The node over JMX, registered as {@code dev.sluice:type=Node,node=<id>}. Every attribute is read
 * when asked; none blocks.
 */
public interface NodeMXBean {
  /**
   * What {@code /ready} answers: the client API is bound, this member is Up and metadata arrived
   * ({@link NodeReadinessCheck}). Replica trouble does not count: see {@link
   * #getUnhealthyReplicas()}.
   */
  boolean isReady();

  /** Replicas open on this node. */
  int getReplicaCount();

  /** Replicas the watchdog considers stalled now. */
  int getStalledReplicas();

  /**
   * The replicas the watchdog escalated to unhealthy (stalled again and again despite transfer
   * restarts and smaller frames), e.g. {@code orders-3}.
   */
  List<String> getUnhealthyReplicas();

  /** Stalls detected on this node since it started. */
  long getTotalStalls();

  /** Partitions this node leads. */
  int getLeaderPartitions();

  /** Partitions this node leads whose in-sync set is smaller than their replicas. */
  int getUnderReplicatedPartitions();

  /** Partitions this node leads with fewer in-sync replicas than min-in-sync-replicas. */
  int getUnderMinInSyncPartitions();

  /** Partitions of the cluster without a leader, as this node's metadata shows them. */
  int getOfflinePartitions();

  /** Leader terms this node started since it started. */
  long getLeaderElections();

  /** Replicas removed from in-sync sets of partitions this node led. */
  long getInSyncShrinks();

  /** Replicas added to in-sync sets of partitions this node led. */
  long getInSyncExpansions();
}
