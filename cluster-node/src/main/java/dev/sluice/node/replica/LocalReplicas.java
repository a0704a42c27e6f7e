package dev.sluice.node.replica;

import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.leader.LeaderCounters;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.transfer.LeaderLogs;
import dev.sluice.replication.transfer.LeaderPartition;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The replicas this node holds, by partition. Opened when an assignment names this node, kept open
 * until the node stops. As {@link LeaderLogs} it is what the replication server serves: each
 * replica's leader side. Thread-safe: a concurrent map read by HTTP handlers and the replication
 * layer.
 */
public final class LocalReplicas implements LeaderLogs, AutoCloseable {
  private final int localNode;
  private final Path dataDir;
  private final StorageSettings storage;
  private final Clock clock;
  private final Map<PartitionId, PartitionReplica> replicas = new ConcurrentHashMap<>();
  private final LeaderCounters leaderCounters = new LeaderCounters();

  public LocalReplicas(int localNode, Path dataDir, StorageSettings storage, Clock clock) {
    this.localNode = localNode;
    this.dataDir = dataDir;
    this.storage = storage;
    this.clock = clock;
  }

  public int localNode() {
    return localNode;
  }

  /** The storage settings every local log is opened with. */
  public StorageSettings storage() {
    return storage;
  }

  /** Elections won and in-sync changes over every partition this node leads. */
  public LeaderCounters leaderCounters() {
    return leaderCounters;
  }

  public Optional<PartitionReplica> get(PartitionId partition) {
    return Optional.ofNullable(replicas.get(partition));
  }

  /** The replica of {@code tp}; empty for a name no partition can have (a negative partition). */
  public Optional<PartitionReplica> get(TopicPartition tp) {
    try {
      return get(new PartitionId(tp.topic(), tp.partition()));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  @Override
  public Optional<LeaderPartition> lookup(PartitionId partition) {
    return get(partition).map(PartitionReplica::leaderHandle);
  }

  public Collection<PartitionReplica> all() {
    return replicas.values();
  }

  /** Opens (recovering from disk) the replica of {@code partition}, or returns the open one. */
  public PartitionReplica open(PartitionId partition) throws IOException {
    PartitionReplica existing = replicas.get(partition);
    if (existing != null) {
      return existing;
    }
    synchronized (this) {
      existing = replicas.get(partition);
      if (existing != null) {
        return existing;
      }
      PartitionLog log = PartitionLog.open(dataDir.resolve(partition.dirName()), storage, clock);
      PartitionReplica replica = new PartitionReplica(partition, localNode, log);
      replicas.put(partition, replica);
      return replica;
    }
  }

  /** {@link #open(PartitionId)} for callers that name partitions by {@link TopicPartition}. */
  public PartitionReplica open(TopicPartition tp) throws IOException {
    return open(new PartitionId(tp.topic(), tp.partition()));
  }

  @Override
  public void close() {
    for (PartitionReplica r : replicas.values()) {
      try {
        r.close();
      } catch (IOException | RuntimeException e) {
        // closing the rest matters more than one failure; recovery handles an unclean file
      }
    }
    replicas.clear();
  }
}
