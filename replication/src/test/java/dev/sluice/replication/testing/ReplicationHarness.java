package dev.sluice.replication.testing;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.AppendInfo;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.Syncer;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.log.testing.LogTestSupport;
import dev.sluice.replication.follower.FollowerReplica;
import dev.sluice.replication.follower.FollowerSetup;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.leader.AppendOp;
import dev.sluice.replication.leader.Assignment;
import dev.sluice.replication.leader.InSyncProposer;
import dev.sluice.replication.leader.LeaderCounters;
import dev.sluice.replication.leader.LeaderHandle;
import dev.sluice.replication.leader.LeaderSettings;
import dev.sluice.replication.leader.PartitionLeader;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.transfer.LeaderLogs;
import dev.sluice.replication.transfer.LeaderPartition;
import dev.sluice.replication.transfer.LeaderTransferServer;
import dev.sluice.replication.transfer.TransferSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The production replication path in one JVM: for every partition a leader log with its {@link
 * PartitionLeader} actor and {@link LeaderHandle}, all served by one {@link LeaderTransferServer}
 * on 127.0.0.1, and a follower log for {@link FollowerReplica}s that connect over TCP. Node {@value
 * #LEADER_NODE} leads and node {@value #FOLLOWER_NODE} follows. A stand-in controller accepts every
 * in-sync change a leader proposes and assigns it to the leader's handle, as the real controller's
 * next snapshot would.
 *
 * <p>The leader's and the follower's {@link TransferSettings} carry their transport, plaintext or
 * TLS ({@code TransferSettings#withSecurity}); each side may use its own, as a man in the middle
 * would.
 *
 * <p>Appends go through the leader actor, so the high watermark moves only when the follower's
 * reports let the leader move it. Tests may also write the logs directly before {@link #lead} (the
 * leader actors are idle until then), e.g. to build diverged histories.
 *
 * <p>Not thread-safe: one test thread drives it. {@link #close} stops every actor it started and
 * closes every log it opened.
 */
public final class ReplicationHarness implements AutoCloseable {
  public static final int LEADER_NODE = 1;
  public static final int FOLLOWER_NODE = 2;
  private static final List<Integer> REPLICAS = List.of(LEADER_NODE, FOLLOWER_NODE);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration SERVER_TIMEOUT = Duration.ofSeconds(10);
  private static final int MIB = 1 << 20;

  /** Keeps actor names unique when a test kit runs several harnesses one after another. */
  private static final AtomicInteger HARNESSES = new AtomicInteger();

  /** Both replicas of one partition. */
  private static final class Partition {
    final PartitionLog leaderLog;
    final LeaderHandle leader;
    PartitionLog followerLog;

    Partition(PartitionLog leaderLog, LeaderHandle leader) {
      this.leaderLog = leaderLog;
      this.leader = leader;
    }
  }

  /** A leader actor to spawn as a child of the {@link #leaders} parent. */
  private record SpawnLeader(
      Behavior<PartitionLeader.Command> behavior,
      String name,
      Props props,
      CompletableFuture<ActorRef<PartitionLeader.Command>> spawned) {}

  /** The parent of the leader actors, as the replica manager is in a node: one stop stops all. */
  private static Behavior<SpawnLeader> leaderParent() {
    return Behaviors.setup(
        ctx ->
            Behaviors.receive(SpawnLeader.class)
                .onMessage(
                    SpawnLeader.class,
                    m -> {
                      m.spawned().complete(ctx.spawn(m.behavior(), m.name(), m.props()));
                      return Behaviors.same();
                    })
                .build());
  }

  private final ActorTestKit testKit;
  private final Path dir;
  private final StorageSettings storage;
  private final TransferSettings settings;
  private final String suffix = "-h" + HARNESSES.incrementAndGet();
  private final Map<PartitionId, Partition> partitions = new LinkedHashMap<>();
  private final List<ActorRef<FollowerReplica.Command>> followers = new ArrayList<>();
  private final LeaderCounters counters = new LeaderCounters();
  private final TestProbe<Object> watcher;
  private ActorRef<SpawnLeader> leaders;
  private volatile LeaderTransferServer server;
  private volatile IntUnaryOperator followedBy;
  private final Map<PartitionId, String> topicIds = new ConcurrentHashMap<>();
  private int epoch = -1;

  private ReplicationHarness(
      ActorTestKit testKit, Path dir, StorageSettings storage, TransferSettings settings) {
    this.testKit = testKit;
    this.dir = dir;
    this.storage = storage;
    this.settings = settings;
    this.watcher = testKit.createTestProbe();
  }

  /**
   * Opens the leader and follower logs of {@code ids} under {@code dir}, spawns their (idle) leader
   * actors and binds the leader's replication server with {@code settings}.
   */
  public static ReplicationHarness start(
      ActorTestKit testKit,
      Path dir,
      StorageSettings storage,
      TransferSettings settings,
      List<PartitionId> ids)
      throws Exception {
    ReplicationHarness h = new ReplicationHarness(testKit, dir, storage, settings);
    try {
      LeaderSettings leaderSettings = LeaderSettings.of(LEADER_NODE, 1, Duration.ofSeconds(10));
      h.leaders = testKit.spawn(leaderParent(), "leaders" + h.suffix);
      for (PartitionId id : ids) {
        PartitionLog leaderLog = h.open("leader", id);
        Partition r = new Partition(leaderLog, new LeaderHandle(id, LEADER_NODE, leaderLog));
        h.partitions.put(id, r);
        r.followerLog = h.open("follower", id);
        r.leader.spawn(
            h::spawnLeader,
            testKit.system().scheduler(),
            leaderSettings,
            h.controllerOf(r.leader),
            h.counters);
      }
      h.bind();
      return h;
    } catch (Exception | Error e) {
      h.close();
      throw e;
    }
  }

  /**
   * One partition, like {@link #start(ActorTestKit, Path, StorageSettings, TransferSettings,
   * List)}.
   */
  public static ReplicationHarness start(
      ActorTestKit testKit,
      Path dir,
      StorageSettings storage,
      TransferSettings settings,
      PartitionId id)
      throws Exception {
    return start(testKit, dir, storage, settings, List.of(id));
  }

  /** Node 1 leads every partition at {@code leaderEpoch}, with both replicas in sync. */
  public void lead(int leaderEpoch) {
    this.epoch = leaderEpoch;
    for (Partition r : partitions.values()) {
      r.leader.assign(new Assignment(LEADER_NODE, leaderEpoch, REPLICAS, REPLICAS, 0));
    }
  }

  public LeaderHandle leader(PartitionId id) {
    return replicas(id).leader;
  }

  public PartitionLog leaderLog(PartitionId id) {
    return replicas(id).leaderLog;
  }

  public PartitionLog followerLog(PartitionId id) {
    return replicas(id).followerLog;
  }

  /** Closes and reopens the follower's log, as a restart of the follower's node does. */
  public PartitionLog reopenFollowerLog(PartitionId id) throws IOException {
    Partition r = replicas(id);
    r.followerLog.close();
    r.followerLog = open("follower", id);
    return r.followerLog;
  }

  /**
   * Closes and reopens the follower's log with forces going through {@code syncer}, so a test can
   * count or hold the follower's forces.
   */
  public PartitionLog reopenFollowerLog(PartitionId id, Syncer syncer) throws IOException {
    Partition r = replicas(id);
    r.followerLog.close();
    r.followerLog =
        PartitionLog.open(
            dir.resolve("follower").resolve(id.dirName()), storage, Clock.systemUTC(), syncer);
    return r.followerLog;
  }

  /** The leader's replication server, as it is bound now. */
  public InetSocketAddress address() {
    return server.address();
  }

  /** Unbinds the server (dropping every connection) and binds it again on another port. */
  public void rebind() throws Exception {
    server.unbind().toCompletableFuture().get(SERVER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    bind();
  }

  /** Appends through the partition's leader actor, as a producer with acks=leader does. */
  public AppendInfo append(PartitionId id, AppendOp op) throws Exception {
    PartitionLeader.AppendReply reply =
        leader(id)
            .append(op, false, ASK_TIMEOUT)
            .toCompletableFuture()
            .get(ASK_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (reply instanceof PartitionLeader.Appended a) {
      return a.info();
    }
    throw new IllegalStateException(id + ": append refused: " + reply);
  }

  /**
   * Appends a one-record batch of exactly {@code totalSize} bytes through the leader, in bounded
   * memory: values above 2 MiB are written to a scratch file first.
   */
  public AppendInfo appendBatchOfSize(PartitionId id, long totalSize) throws Exception {
    long valueLength = LogFixtures.valueLengthForBatchOfSize(totalSize);
    Random rnd = new Random(totalSize);
    if (valueLength <= 2 * MIB) {
      byte[] value = new byte[(int) valueLength];
      rnd.nextBytes(value);
      return append(
          id,
          (log, leaderEpoch) ->
              log.appendRecords(
                  List.of(Record.of(null, value, LogTestSupport.TIMESTAMP)), leaderEpoch));
    }
    Path valueFile = Files.createTempFile(dir, "value-", ".bin");
    try {
      byte[] chunk = new byte[MIB];
      try (OutputStream out = Files.newOutputStream(valueFile)) {
        for (long left = valueLength; left > 0; left -= chunk.length) {
          rnd.nextBytes(chunk);
          out.write(chunk, 0, (int) Math.min(chunk.length, left));
        }
      }
      return append(
          id,
          (log, leaderEpoch) ->
              log.appendValueFile(
                  null, List.of(), valueFile, LogTestSupport.TIMESTAMP, leaderEpoch));
    } finally {
      Files.deleteIfExists(valueFile);
    }
  }

  /** A production follower setup for node 2, reaching the leader through this server. */
  public FollowerSetup followerSetup(
      PartitionId id, TransferSettings followerSettings, FollowerStatus status) {
    return followerSetup(
        id,
        followerSettings,
        status,
        node -> node == LEADER_NODE ? Optional.of(address()) : Optional.empty());
  }

  /**
   * A production follower setup for node 2 that finds the leader's node through {@code addresses}
   * (a fault proxy, say).
   */
  public FollowerSetup followerSetup(
      PartitionId id,
      TransferSettings followerSettings,
      FollowerStatus status,
      IntFunction<Optional<InetSocketAddress>> addresses) {
    if (epoch < 0) {
      throw new IllegalStateException("lead(epoch) first: the follower needs the leader's epoch");
    }
    return FollowerSetup.of(
        FOLLOWER_NODE,
        id,
        followerLog(id),
        addresses,
        LEADER_NODE,
        epoch,
        followerSettings,
        status);
  }

  /** Spawns a follower actor; {@link #close} stops it if the test did not. */
  public ActorRef<FollowerReplica.Command> startFollower(FollowerSetup setup) {
    ActorRef<FollowerReplica.Command> follower = testKit.spawn(FollowerReplica.create(setup));
    followers.add(follower);
    return follower;
  }

  /** Stops a follower and waits until it has terminated: its attempts touch the log no more. */
  public void stopFollower(ActorRef<FollowerReplica.Command> follower) {
    stopFollowers(List.of(follower));
  }

  /**
   * Stops every actor the harness started, then closes every log. The actors stop all at once (a
   * thousand one after another would take seconds), and the logs close only after all have
   * terminated.
   */
  @Override
  public void close() throws Exception {
    stopFollowers(List.copyOf(followers));
    if (server != null) {
      server.unbind().toCompletableFuture().get(SERVER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
    for (Partition r : partitions.values()) {
      r.leader.close();
    }
    if (leaders != null) {
      testKit.stop(leaders, SERVER_TIMEOUT); // terminates once every leader actor has
    }
    for (Partition r : partitions.values()) {
      r.leaderLog.close();
      if (r.followerLog != null) {
        r.followerLog.close();
      }
    }
  }

  private void stopFollowers(List<ActorRef<FollowerReplica.Command>> stopping) {
    for (ActorRef<FollowerReplica.Command> f : stopping) {
      f.tell(new FollowerReplica.Stop());
    }
    for (ActorRef<FollowerReplica.Command> f : stopping) {
      watcher.expectTerminated(f, SERVER_TIMEOUT);
      followers.remove(f);
    }
  }

  private ActorRef<PartitionLeader.Command> spawnLeader(
      Behavior<PartitionLeader.Command> behavior, String name, Props props) {
    CompletableFuture<ActorRef<PartitionLeader.Command>> spawned = new CompletableFuture<>();
    leaders.tell(new SpawnLeader(behavior, name, props, spawned));
    try {
      return spawned.get(SERVER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot spawn " + name, e);
    }
  }

  private Partition replicas(PartitionId id) {
    Partition r = partitions.get(id);
    if (r == null) {
      throw new IllegalArgumentException("no partition " + id + " in this harness");
    }
    return r;
  }

  private PartitionLog open(String side, PartitionId id) throws IOException {
    return PartitionLog.open(dir.resolve(side).resolve(id.dirName()), storage, Clock.systemUTC());
  }

  /**
   * Replaces how many partitions the server believes a node follows here, as a node's replica table
   * that lags the assignments would; by default the partitions led here that list the node.
   */
  public void partitionsFollowedBy(IntUnaryOperator count) {
    this.followedBy = count;
  }

  /** The topic incarnation the leader's replica of {@code id} belongs to, as a node records it. */
  public void topicId(PartitionId id, String topicId) {
    topicIds.put(id, topicId);
  }

  private void bind() throws Exception {
    LeaderLogs logs =
        new LeaderLogs() {
          @Override
          public Optional<LeaderPartition> lookup(PartitionId id) {
            return Optional.ofNullable(partitions.get(id)).map(r -> r.leader);
          }

          @Override
          public Optional<String> topicId(PartitionId id) {
            return Optional.ofNullable(topicIds.get(id));
          }

          @Override
          public int partitionsFollowedBy(int node) {
            IntUnaryOperator override = followedBy;
            if (override != null) {
              return override.applyAsInt(node);
            }
            return (int)
                partitions.values().stream()
                    .filter(r -> r.leader.isLeader() && r.leader.isFollower(node))
                    .count();
          }
        };
    server =
        LeaderTransferServer.bind(testKit.system(), "127.0.0.1", 0, logs, settings)
            .toCompletableFuture()
            .get(SERVER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * The controller's part for one partition: a proposal computed against the current version is
   * applied at once; one against an older version is superseded by the current set.
   */
  private InSyncProposer controllerOf(LeaderHandle handle) {
    return (leaderEpoch, baseVersion, inSync) -> {
      Assignment current = handle.assignment();
      InSyncProposer.Decision decision;
      if (leaderEpoch != current.leaderEpoch()) {
        decision =
            new InSyncProposer.Refused(
                "epoch " + leaderEpoch + " is not the current " + current.leaderEpoch());
      } else if (baseVersion != current.version()) {
        decision = new InSyncProposer.Superseded(current.inSync(), current.version());
      } else {
        Assignment next =
            new Assignment(
                current.leader(), leaderEpoch, current.replicas(), inSync, current.version() + 1);
        handle.assign(next);
        decision = new InSyncProposer.Accepted(next.inSync(), next.version());
      }
      return CompletableFuture.completedFuture(decision);
    };
  }
}
