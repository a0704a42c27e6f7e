package dev.sluice.node.replica;

import dev.sluice.config.StorageSettings;
import dev.sluice.log.ForceJournal;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.RecentBatchBudget;
import dev.sluice.replication.leader.LeaderCounters;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.transfer.LeaderLogs;
import dev.sluice.replication.transfer.LeaderPartition;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * The replicas this node holds, by partition. Opened when an assignment names this node, kept open
 * until the node stops or the replica's topic is deleted ({@link #remove}). As {@link LeaderLogs}
 * it is what the replication server serves: each replica's leader side. Each replica's directory
 * names the topic incarnation it belongs to ({@link ReplicaDirectories}); a replica is never opened
 * on a directory of another incarnation. Thread-safe: concurrent maps read by HTTP handlers and the
 * replication layer; opening and removing are serialised on this object.
 */
public final class LocalReplicas implements LeaderLogs, AutoCloseable {
  private final int localNode;
  private final Path dataDir;
  private final StorageSettings storage;
  private final Clock clock;
  private final Map<PartitionId, PartitionReplica> replicas = new ConcurrentHashMap<>();
  private final Map<PartitionId, String> topicIds = new ConcurrentHashMap<>();
  private final LeaderCounters leaderCounters = new LeaderCounters();

  /**
   * The most bytes of recently appended batches all replicas of the node keep in memory for their
   * followers together ({@link PartitionLog#recentBatches}; each at most 1 MiB): a few in-flight
   * batches per busy partition, bounded also when many partitions' high watermarks stall.
   */
  public static final long RECENT_BATCH_BYTES = 32L << 20;

  private final RecentBatchBudget recentBatches = new RecentBatchBudget(RECENT_BATCH_BYTES);

  /**
   * Bytes of recent batches the node's replicas keep in memory now, of {@link #RECENT_BATCH_BYTES}.
   */
  public long recentBatchBytes() {
    return recentBatches.usedBytes();
  }

  /** Given the duration of every segment force of the local replicas' logs, in nanoseconds. */
  private volatile LongConsumer forceTimes = nanos -> {};

  public LocalReplicas(int localNode, Path dataDir, StorageSettings storage, Clock clock) {
    this.localNode = localNode;
    this.dataDir = dataDir;
    this.storage = storage;
    this.clock = clock;
  }

  public int localNode() {
    return localNode;
  }

  /** Where the partition directories are. */
  public Path dataDir() {
    return dataDir;
  }

  /** The directory of {@code partition}'s replica, whether or not it exists. */
  public Path dirOf(PartitionId partition) {
    return dataDir.resolve(partition.dirName());
  }

  /**
   * The topic id the open replica of {@code partition} was opened for; empty if none. The
   * replication server refuses a follower's handshake that names another one.
   */
  @Override
  public Optional<String> topicId(PartitionId partition) {
    return Optional.ofNullable(topicIds.get(partition));
  }

  /** The storage settings every local log is opened with. */
  public StorageSettings storage() {
    return storage;
  }

  /** Elections won and in-sync changes over every partition this node leads. */
  public LeaderCounters leaderCounters() {
    return leaderCounters;
  }

  /**
   * Sends the duration of every force of a segment file of the local replicas' logs (leaders and
   * followers alike, in nanoseconds) to {@code listener} from now on; it runs on the forcing thread
   * and must not block.
   */
  public void onForce(LongConsumer listener) {
    this.forceTimes = Objects.requireNonNull(listener, "listener");
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
    return open(partition, null);
  }

  /**
   * Opens (recovering from disk) the replica of {@code partition} for the topic incarnation {@code
   * topicId}, or returns the open one. A new directory records the id before the log is created.
   *
   * @param topicId the topic's id; null for a topic created before ids existed
   * @throws IOException also when the directory belongs to another incarnation of the topic (its
   *     data must be removed first, see {@link ReplicaDirectories})
   */
  public PartitionReplica open(PartitionId partition, String topicId) throws IOException {
    PartitionReplica existing = replicas.get(partition);
    if (existing != null) {
      return existing;
    }
    synchronized (this) {
      existing = replicas.get(partition);
      if (existing != null) {
        return existing;
      }
      return list(openUnlisted(partition, topicId), topicId);
    }
  }

  /**
   * Opens (recovering from disk) the replica of {@code partition} for {@code topicId} as {@link
   * #open} does, without adding it to the open set: lookups, the API and the replication server do
   * not see it until {@link #adopt}ed. The caller closes it if it is never adopted.
   *
   * @throws IOException also when the directory belongs to another incarnation of the topic
   */
  public PartitionReplica openUnlisted(PartitionId partition, String topicId) throws IOException {
    Path dir = dirOf(partition);
    synchronized (this) {
      if (topicId != null) {
        Optional<String> recorded = ReplicaDirectories.topicId(dir);
        if (recorded.isPresent() && !recorded.get().equals(topicId)) {
          throw new IOException(
              dir
                  + " holds data of topic "
                  + partition.topic()
                  + " with id "
                  + recorded.get()
                  + ", not of the current one with id "
                  + topicId
                  + "; it is not opened until the controller's record of the deleted topic"
                  + " removes it");
        }
        if (recorded.isEmpty()) {
          ReplicaDirectories.writeTopicId(dir, topicId);
        }
      }
    }
    PartitionLog log =
        PartitionLog.open(
            dir,
            storage,
            clock,
            ForceJournal.forLog(dir).timed(nanos -> forceTimes.accept(nanos)),
            recentBatches);
    return new PartitionReplica(partition, localNode, log, clock);
  }

  /**
   * Adds a replica from {@link #openUnlisted} for {@code topicId} to the open set; returns the
   * replica of the open set, which is another one (and {@code replica} must be closed) when one was
   * open already.
   */
  public synchronized PartitionReplica adopt(PartitionReplica replica, String topicId) {
    PartitionReplica existing = replicas.get(replica.partitionId());
    return existing != null ? existing : list(replica, topicId);
  }

  private PartitionReplica list(PartitionReplica replica, String topicId) {
    // The id first: whoever finds the replica finds its id too.
    if (topicId != null) {
      topicIds.put(replica.partitionId(), topicId);
    }
    replicas.put(replica.partitionId(), replica);
    return replica;
  }

  /**
   * Takes the replica of {@code partition} out of the open set: lookups and the replication server
   * no longer find it. The caller stops its actors, then closes it and removes its directory.
   */
  public synchronized Optional<PartitionReplica> remove(PartitionId partition) {
    Optional<PartitionReplica> removed = Optional.ofNullable(replicas.remove(partition));
    topicIds.remove(partition);
    return removed;
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
