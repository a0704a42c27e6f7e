package dev.sluice.node.management;

import dev.sluice.api.ReplicaState;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.ReplicaStatus;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.watchdog.WatchdogState;
import java.util.function.Function;

/**
 * {@link ReplicaMXBean} of one partition: looks the replica up by partition on every read and reads
 * its {@link ReplicaStatus#of status} (never blocking), so it never holds a closed replica nor a
 * copy of its values. A replica that closed reads as {@link ReplicaState#CLOSED}, with -1 offsets
 * and zero counters, until the next sync unregisters the bean.
 *
 * <p>Thread-safety: stateless between reads; JMX may call it from any thread.
 */
final class ReplicaBean implements ReplicaMXBean {
  private static final String CLOSED = ReplicaState.CLOSED.label();

  private final LocalReplicas replicas;
  private final PartitionId partition;
  private final WatchdogState watchdog;

  ReplicaBean(LocalReplicas replicas, PartitionId partition, WatchdogState watchdog) {
    this.replicas = replicas;
    this.partition = partition;
    this.watchdog = watchdog;
  }

  /** {@code value} of the replica's status now, or {@code closed} once the replica is gone. */
  private <T> T read(Function<ReplicaStatus, T> value, T closed) {
    return replicas
        .get(partition)
        .map(r -> ReplicaStatus.of(r, watchdog))
        .map(value)
        .orElse(closed);
  }

  @Override
  public String getRole() {
    return read(s -> s.role().label(), CLOSED);
  }

  @Override
  public String getState() {
    return read(s -> s.state().label(), CLOSED);
  }

  @Override
  public long getLogEndOffset() {
    return read(ReplicaStatus::leo, -1L);
  }

  @Override
  public long getHighWatermark() {
    return read(ReplicaStatus::hw, -1L);
  }

  @Override
  public long getLogStartOffset() {
    return read(ReplicaStatus::logStartOffset, -1L);
  }

  @Override
  public long getSizeBytes() {
    return read(ReplicaStatus::sizeBytes, 0L);
  }

  @Override
  public long getLagBytes() {
    return read(ReplicaStatus::lagBytes, -1L);
  }

  @Override
  public boolean isStalled() {
    return read(ReplicaStatus::stalled, false);
  }

  @Override
  public int getStallCount() {
    return read(ReplicaStatus::stallCount, 0);
  }

  @Override
  public String getLastError() {
    return read(ReplicaStatus::lastError, "");
  }

  @Override
  public long getBackoffMillis() {
    return read(ReplicaStatus::backoffMillis, 0L);
  }

  @Override
  public long getBytesReceived() {
    return read(ReplicaStatus::bytesReceived, 0L);
  }

  @Override
  public long getResentBytes() {
    return read(ReplicaStatus::resentBytes, 0L);
  }
}
