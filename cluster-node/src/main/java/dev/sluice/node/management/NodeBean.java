package dev.sluice.node.management;

import java.util.List;
import java.util.function.BooleanSupplier;

/** {@link NodeMXBean} over the node's published components and its readiness. */
final class NodeBean implements NodeMXBean {
  private final NodeState.Components node;
  private final BooleanSupplier ready;

  NodeBean(NodeState.Components node, BooleanSupplier ready) {
    this.node = node;
    this.ready = ready;
  }

  @Override
  public boolean isReady() {
    return ready.getAsBoolean();
  }

  @Override
  public int getReplicaCount() {
    return node.replicas().all().size();
  }

  @Override
  public int getStalledReplicas() {
    return node.watchdog().stalledReplicas();
  }

  @Override
  public List<String> getUnhealthyReplicas() {
    return node.watchdog().unhealthyReplicas();
  }

  @Override
  public long getTotalStalls() {
    return node.watchdog().totalStalls();
  }

  @Override
  public int getLeaderPartitions() {
    return node.partitionHealth().leaders();
  }

  @Override
  public int getUnderReplicatedPartitions() {
    return node.partitionHealth().underReplicated();
  }

  @Override
  public int getUnderMinInSyncPartitions() {
    return node.partitionHealth().underMinInSync();
  }

  @Override
  public int getOfflinePartitions() {
    return node.partitionHealth().offline();
  }

  @Override
  public long getLeaderElections() {
    return node.replicas().leaderCounters().leaderships();
  }

  @Override
  public long getInSyncShrinks() {
    return node.replicas().leaderCounters().inSyncShrinks();
  }

  @Override
  public long getInSyncExpansions() {
    return node.replicas().leaderCounters().inSyncExpansions();
  }
}
