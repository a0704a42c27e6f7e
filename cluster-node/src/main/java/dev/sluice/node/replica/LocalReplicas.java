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

  @Override
  public Optional<LeaderPartition> lookup(PartitionId partition) {
    return get(partition).map(PartitionReplica::leaderHandle);
  }

  /**
   * The partitions this node leads that list {@code node} as a follower: the most replication
   * connections the leader side keeps open for that node. A scan of the open replicas, each
   * answered from its current assignment; never blocks.
   */
  @Override
  public int partitionsFollowedBy(int node) {
    int count = 0;
    for (PartitionReplica r : replicas.values()) {
      LeaderPartition leader = r.leaderHandle();
      if (leader.isLeader() && leader.isFollower(node)) {
        count++;
      }
    }
    return count;
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
