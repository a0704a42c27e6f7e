package dev.sluice.node.management;

import java.util.List;

/** {@link NodeMXBean} over the node's published components. */
final class NodeBean implements NodeMXBean {
  private final NodeState.Components node;

  NodeBean(NodeState.Components node) {
    this.node = node;
  }

  @Override
  public boolean isReady() {
    return node.watchdog().ready();
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
}
