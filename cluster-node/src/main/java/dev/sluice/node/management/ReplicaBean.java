package dev.sluice.node.management;

import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.TopicPartition;
import dev.sluice.replication.watchdog.WatchdogState;

/**
 * {@link ReplicaMXBean} of one partition: looks the replica up by partition on every read, so it
 * never holds a closed replica nor a copy of its values.
 */
final class ReplicaBean implements ReplicaMXBean {
  private final LocalReplicas replicas;
  private final TopicPartition tp;
  private final WatchdogState watchdog;

  ReplicaBean(LocalReplicas replicas, TopicPartition tp, WatchdogState watchdog) {
    this.replicas = replicas;
    this.tp = tp;
    this.watchdog = watchdog;
  }

  private ReplicaView view() {
    return replicas
        .get(tp)
        .map(r -> ReplicaView.of(r, watchdog))
        .orElseGet(() -> ReplicaView.closed(tp));
  }

  @Override
  public String getRole() {
    return view().role();
  }

  @Override
  public String getState() {
    return view().state();
  }

  @Override
  public long getLogEndOffset() {
    return view().logEndOffset();
  }

  @Override
  public long getHighWatermark() {
    return view().highWatermark();
  }

  @Override
  public long getLogStartOffset() {
    return view().logStartOffset();
  }

  @Override
  public long getSizeBytes() {
    return view().sizeBytes();
  }

  @Override
  public long getLagBytes() {
    return view().lagBytes();
  }

  @Override
  public boolean isStalled() {
    return view().stalled();
  }

  @Override
  public int getStallCount() {
    return view().stallCount();
  }

  @Override
  public String getLastError() {
    return view().lastError();
  }

  @Override
  public long getBackoffMillis() {
    return view().backoffMillis();
  }

  @Override
  public long getBytesReceived() {
    return view().bytesReceived();
  }

  @Override
  public long getResentBytes() {
    return view().resentBytes();
  }
}
