package dev.sluice.node.replica;

import dev.sluice.config.TopicSettings;
import dev.sluice.node.LogMdc;
import dev.sluice.node.NodeAddress;
import dev.sluice.node.NodeSerializable;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.DeletedTopic;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.controller.TopicMetadata;
import dev.sluice.replication.leader.Assignment;
import dev.sluice.replication.leader.InSyncProposer;
import dev.sluice.replication.leader.LeaderSettings;
import dev.sluice.replication.leader.PartitionLeader;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.transfer.TransferSettings;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchdogState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.Cluster;

/**
 * Applies the controller's metadata to this node: opens (and recovers) the log of every partition
 * replica assigned here and starts one supervised {@link PartitionReplicaActor} per replica, which
 * runs the replica's role (leader, or follower with its catch-up FSM) for the leader and epoch the
 * controller assigned. As leader of a partition it proposes in-sync set changes to the controller.
 * It also answers status queries from other nodes, found through the receptionist, so that {@code
 * GET /topics/{t}} on any node shows every replica's offsets and state.
 *
 * <p>Topic lifecycle: each snapshot's topic settings are applied to the topic's open logs and
 * leaders (limits, retention, min-in-sync-replicas). A partition directory that a deleted topic of
 * the snapshot names ({@link ReplicaDirectories#belongsToDeleted}) is removed: an open replica is
 * first taken out of the open set, then its two actors are stopped, and once both have stopped its
 * log is closed and its directory removed; until then the partition is not opened again (a topic
 * re-created under the same name waits for it). Leftovers of removals a crash interrupted go when
 * the manager starts.
 *
 * <p>Start-up: before any metadata arrives, the manager opens the replicas its data directory holds
 * (those that record their topic id), so that a restarted follower's log is recovered while the
 * node joins the cluster, not after its assignment arrived. The first metadata keeps those it
 * assigns here and closes the others; a replica whose topic id differs from the metadata's is not
 * assigned (as when it is opened on assignment) and so closed.
 *
 * <p>Provisional follower: a follower records the leader it follows ({@link FollowedLeaderFile},
 * written when an assignment names a leader elsewhere, removed before this node leads and when the
 * replica is no longer assigned here). At start-up, a replica opened before the metadata whose
 * record names another node, for the directory's topic id, at an epoch not older than the newest in
 * its log, starts following that leader at once ({@link
 * PartitionReplicaActor.FollowProvisionally}), while the node joins the cluster. It stays outside
 * the open set (the API and the replication server do not see it) and never leads; the first
 * metadata keeps the running follower when it assigns the same leader and epoch, else changes or
 * stops it as for any assignment, and stops its actors before it closes a replica it does not
 * assign.
 *
 * <p>Runs on the blocking-IO dispatcher: opening a log reads and checks its tail. The latest
 * applied snapshot is published through {@link AppliedMetadata} for lock-free reads by HTTP
 * handlers.
 */
public final class ReplicaManager extends AbstractBehavior<ReplicaManager.Command> {

  public static final ServiceKey<Command> SERVICE_KEY =
      ServiceKey.create(Command.class, "sluice-replica-manager");

  public sealed interface Command {}

  /** The controller pushed new metadata. */
  public record ApplyMetadata(MetadataSnapshot snapshot) implements Command {}

  /** Statuses of this node's replicas of a topic. */
  public record GetStatuses(String topic, ActorRef<Statuses> replyTo)
      implements Command, NodeSerializable {}

  /** Reply: this node's replicas of the asked topic, each with its followers' lag on a leader. */
  public record Statuses(int node, List<ReplicaStatus> replicas) implements NodeSerializable {}

  /**
   * Subscribe to the controller's metadata again (idempotent): on a timer, and once this node is
   * Up. A restarted node subscribes while it is still joining, and the controller's watch of a
   * subscriber on a node that is not yet a member fires at once (seen: the subscriber dropped 3 ms
   * after its subscription), so without the second subscription the node heard of later changes
   * (its own return to the in-sync set among them) only at the next timer, up to 3 s late.
   */
  public record Resubscribe() implements Command {}

  /** First message: opens the replicas the data directory holds, before any metadata arrives. */
  private record OpenLocalLogs() implements Command {}

  /** Timer: every replica applies the retention limits. */
  private record ApplyRetention() implements Command {}

  /** One of the actors of a replica being removed stopped. */
  private record ReplicaActorStopped(PartitionId partition) implements Command {}

  /**
   * A replica on its way out: its actors still to stop; then its log is closed, and its directory
   * removed if its topic was deleted.
   */
  private static final class Removal {
    final PartitionReplica replica;
    final boolean deleteData;
    int actorsRunning;

    Removal(PartitionReplica replica, boolean deleteData, int actorsRunning) {
      this.replica = replica;
      this.deleteData = deleteData;
      this.actorsRunning = actorsRunning;
    }
  }

  private static final Duration IN_SYNC_ASK_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Subscription repeats on a timer: when the controller singleton moves to another node its
   * subscriber list starts empty, and subscribing is idempotent.
   */
  private static final Duration RESUBSCRIBE_EVERY = Duration.ofSeconds(3);

  /**
   * Tells {@code manager} to {@link Resubscribe} once this node is Up in the cluster of {@code
   * system} (see there why).
   */
  public static void resubscribeWhenUp(ActorSystem<?> system, ActorRef<Command> manager) {
    Cluster.get(Adapter.toClassic(system))
        .registerOnMemberUp(() -> manager.tell(new Resubscribe()));
  }

  public static Behavior<Command> create(
      LocalReplicas replicas,
      AppliedMetadata published,
      ActorRef<Controller.Command> controller,
      TransferSettings transfer,
      LeaderSettings leaderSettings,
      ActorRef<StallWatchdog.Command> watchdog,
      WatchdogState watchdogState) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  ctx.getSystem()
                      .receptionist()
                      .tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
                  ActorRef<MetadataSnapshot> adapter =
                      ctx.messageAdapter(MetadataSnapshot.class, ApplyMetadata::new);
                  timers.startTimerWithFixedDelay(
                      new Resubscribe(), Duration.ZERO, RESUBSCRIBE_EVERY);
                  // Always: a topic may set retention where the node sets none.
                  timers.startTimerWithFixedDelay(
                      new ApplyRetention(), replicas.storage().retentionCheckInterval());
                  removeLeftovers(ctx, replicas);
                  ctx.getSelf().tell(new OpenLocalLogs());
                  PartitionReplicaActor.Replication replication =
                      new PartitionReplicaActor.Replication(published, transfer, watchdog);
                  return new ReplicaManager(
                      ctx,
                      replicas,
                      published,
                      controller,
                      adapter,
                      replication,
                      leaderSettings,
                      watchdogState);
                }));
  }

  private final LocalReplicas replicas;
  private final AppliedMetadata published;
  private final ActorRef<Controller.Command> controller;
  private final ActorRef<MetadataSnapshot> subscriber;
  private final PartitionReplicaActor.Replication replication;
  private final Map<PartitionId, ActorRef<PartitionReplicaActor.Command>> actors = new HashMap<>();
  private final Map<PartitionId, ActorRef<PartitionLeader.Command>> leaderActors = new HashMap<>();
  private final Map<PartitionId, Removal> removing = new HashMap<>();

  /** A replica {@link #onOpenLocalLogs} opened, not yet in the open set, with its topic id. */
  private record Preopened(PartitionReplica replica, String topicId) {}

  /**
   * Replicas {@link #onOpenLocalLogs} opened that no metadata has assigned yet: outside the open
   * set, so that neither the API nor the replication server serves them before the controller
   * assigned them.
   */
  private final Map<PartitionId, Preopened> openedBeforeMetadata = new HashMap<>();

  /**
   * What each partition directory's {@link FollowedLeaderFile} holds, as far as this manager wrote
   * or read it; a partition missing here is unknown and written when next assigned.
   */
  private final Map<PartitionId, Optional<FollowedLeader>> followedOnDisk = new HashMap<>();

  /**
   * Followed-leader records a snapshot changes, written once it is published: each write forces the
   * file and its directory, which must not hold up the API's view of a new topic.
   */
  private final Map<PartitionId, Optional<FollowedLeader>> toRecord = new LinkedHashMap<>();

  /** Topic settings as read, by their text: every snapshot repeats them. */
  private final Map<Map<String, String>, TopicSettings> settingsRead = new HashMap<>();

  /** Deleted topics whose directories here are all gone: not looked for again. */
  private final Set<DeletedTopic> deletionsDone = new HashSet<>();

  private final WatchdogState watchdogState;
  private final LeaderSettings leaderSettings;

  private ReplicaManager(
      ActorContext<Command> ctx,
      LocalReplicas replicas,
      AppliedMetadata published,
      ActorRef<Controller.Command> controller,
      ActorRef<MetadataSnapshot> subscriber,
      PartitionReplicaActor.Replication replication,
      LeaderSettings leaderSettings,
      WatchdogState watchdogState) {
    super(ctx);
    this.replication = replication;
    this.leaderSettings = leaderSettings;
    this.watchdogState = watchdogState;
    this.replicas = replicas;
    this.published = published;
    this.controller = controller;
    this.subscriber = subscriber;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(OpenLocalLogs.class, this::onOpenLocalLogs)
        .onMessage(ApplyMetadata.class, this::onApplyMetadata)
        .onMessage(GetStatuses.class, this::onGetStatuses)
        .onMessage(Resubscribe.class, this::onResubscribe)
        .onMessage(ApplyRetention.class, this::onApplyRetention)
        .onMessage(ReplicaActorStopped.class, this::onReplicaActorStopped)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  /**
   * The node's shutdown closes the open set ({@link LocalReplicas#close}); the logs opened before a
   * first metadata that never came are closed here, so that they too are closed cleanly.
   */
  private Behavior<Command> onPostStop(PostStop signal) {
    for (Map.Entry<PartitionId, Preopened> e : openedBeforeMetadata.entrySet()) {
      closeQuietly(e.getKey(), e.getValue().replica());
    }
    openedBeforeMetadata.clear();
    return this;
  }

  private static void removeLeftovers(ActorContext<Command> ctx, LocalReplicas replicas) {
    try {
      for (Path p : ReplicaDirectories.removeLeftovers(replicas.dataDir())) {
        ctx.getLog().info("Removed {}: a removal of a deleted topic's data that was cut short", p);
      }
    } catch (IOException e) {
      ctx.getLog()
          .warn(
              "Could not remove leftovers of deleted topics under {}: {}",
              replicas.dataDir(),
              e.toString());
    }
  }

  /**
   * Retention on every replica, leader or follower: whole segments below the replica's high
   * watermark ({@link dev.sluice.log.PartitionLog#applyRetention}). Runs here, on the blocking-IO
   * dispatcher, between metadata changes; the log serialises it with appends itself.
   */
  private Behavior<Command> onApplyRetention(ApplyRetention msg) {
    for (PartitionReplica r : replicas.all()) {
      try {
        r.log().applyRetention();
      } catch (IOException | RuntimeException e) {
        getContext()
            .getLog()
            .warn("{}: retention failed; retried next time: {}", r.partitionId(), e.toString());
      }
    }
    return this;
  }

  /**
   * Opens (recovers) every replica whose directory records its topic id, while the node still joins
   * the cluster and waits for the controller: when the assignment arrives, the log is open and the
   * replica's role starts at once. Which replicas stay open is the first metadata's decision
   * ({@link #closeUnassigned}); a directory that cannot be opened now is opened, or fails, again
   * when it is assigned.
   */
  private Behavior<Command> onOpenLocalLogs(OpenLocalLogs msg) {
    List<ReplicaDirectories.Recorded> recorded;
    try {
      recorded = ReplicaDirectories.recorded(replicas.dataDir());
    } catch (IOException e) {
      getContext()
          .getLog()
          .warn(
              "Could not list the replicas under {}; each opens when assigned: {}",
              replicas.dataDir(),
              e.toString());
      return this;
    }
    long start = System.nanoTime();
    List<PartitionId> opened = new ArrayList<>();
    List<PartitionId> following = new ArrayList<>();
    for (ReplicaDirectories.Recorded r : recorded) {
      if (replicas.get(r.partition()).isPresent()
          || openedBeforeMetadata.containsKey(r.partition())) {
        continue;
      }
      try {
        PartitionReplica replica = replicas.openUnlisted(r.partition(), r.topicId());
        openedBeforeMetadata.put(r.partition(), new Preopened(replica, r.topicId()));
        opened.add(r.partition());
        if (followProvisionally(r.partition(), replica, r.topicId())) {
          following.add(r.partition());
        }
      } catch (IOException | RuntimeException e) {
        getContext()
            .getLog()
            .warn(
                "{}: could not open its log before the metadata; retried when assigned: {}",
                r.partition(),
                e.toString());
      }
    }
    if (!opened.isEmpty()) {
      getContext()
          .getLog()
          .info(
              "Opened {} replica logs of the data directory before the first metadata, in {} ms: {}",
              opened.size(),
              (System.nanoTime() - start) / 1_000_000,
              opened);
    }
    if (!following.isEmpty()) {
      getContext()
          .getLog()
          .info(
              "Following the recorded leaders of {} replicas before the first metadata: {}",
              following.size(),
              following);
    }
    return this;
  }

  /**
   * Starts the replica's actors and its follower toward the leader its directory records, if the
   * record fits: the directory's topic id, another node, and an epoch not older than the newest in
   * the log (a log holding a newer epoch followed or led someone else since the record was written,
   * and a leader of an older epoch must not cut it).
   *
   * @return true if the follower was started
   */
  private boolean followProvisionally(PartitionId id, PartitionReplica replica, String topicId) {
    Optional<FollowedLeader> read = readFollowed(id);
    followedOnDisk.put(id, read);
    if (read.isEmpty()) {
      return false;
    }
    FollowedLeader f = read.get();
    String skipped = null;
    if (!f.topicId().equals(topicId)) {
      skipped = "it names topic id " + f.topicId() + ", the directory " + topicId;
    } else if (f.leader() == replicas.localNode()) {
      skipped = "it names this node";
    } else if (replica.log().latestLeaderEpoch() > f.leaderEpoch()) {
      skipped =
          "the log holds epoch "
              + replica.log().latestLeaderEpoch()
              + ", newer than the recorded "
              + f.leaderEpoch();
    }
    if (skipped != null) {
      getContext()
          .getLog()
          .info("{}: not following the recorded leader before the metadata: {}", id, skipped);
      return false;
    }
    ActorRef<PartitionReplicaActor.Command> actor = start(id, replica, topicId);
    actors.put(id, actor);
    actor.tell(new PartitionReplicaActor.FollowProvisionally(f));
    return true;
  }

  private Optional<FollowedLeader> readFollowed(PartitionId id) {
    try {
      return FollowedLeaderFile.read(replicas.dirOf(id));
    } catch (IOException e) {
      getContext()
          .getLog()
          .warn(
              "{}: cannot read {}; the replica waits for the metadata: {}",
              id,
              FollowedLeaderFile.of(replicas.dirOf(id)),
              e.toString());
      return Optional.empty();
    }
  }

  /**
   * Brings the partition's {@link FollowedLeaderFile} to {@code wanted} (written, or removed when
   * empty), unless it holds that already. A failure is logged and leaves the file unknown: it only
   * costs a restart its head start, or a refused provisional connection.
   */
  private void recordFollowed(PartitionId id, Optional<FollowedLeader> wanted) {
    Optional<FollowedLeader> known = followedOnDisk.get(id);
    if (wanted.equals(known)) {
      return;
    }
    followedOnDisk.remove(id);
    Path dir = replicas.dirOf(id);
    try {
      if (wanted.isPresent()) {
        FollowedLeaderFile.write(dir, wanted.get());
      } else {
        FollowedLeaderFile.remove(dir);
      }
      followedOnDisk.put(id, wanted);
    } catch (IOException | RuntimeException e) {
      getContext()
          .getLog()
          .warn(
              "{}: could not {} {}: {}",
              id,
              wanted.isPresent() ? "write" : "remove",
              FollowedLeaderFile.of(dir),
              e.toString());
    }
  }

  /**
   * What the replica's file should say after its assignment was applied: the leader, epoch and
   * replication address while it follows a leader the snapshot knows the address of; nothing when
   * it leads, the partition has no leader, or the topic has no id. While the leader's address is
   * unknown, a record of the same leader and epoch stays.
   */
  private Optional<FollowedLeader> followedBy(
      PartitionId id, PartitionReplica replica, String topicId, MetadataSnapshot snapshot) {
    int leader = replica.leader();
    int epoch = replica.leaderEpoch();
    if (replica.isLeader() || leader < 0 || topicId == null) {
      return Optional.empty();
    }
    String address = snapshot.liveNodes().get(leader);
    if (address == null) {
      Optional<FollowedLeader> known = followedOnDisk.getOrDefault(id, Optional.empty());
      return known.filter(f -> f.leader() == leader && f.leaderEpoch() == epoch);
    }
    try {
      NodeAddress a = NodeAddress.parse(address);
      return Optional.of(new FollowedLeader(leader, epoch, a.host(), a.replicationPort(), topicId));
    } catch (IllegalArgumentException e) {
      getContext()
          .getLog()
          .warn(
              "{}: leader node {} has an unusable address {}: {}",
              id,
              leader,
              address,
              e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * The replica of {@code id} for {@code topicId}: the one opened before the metadata if it was
   * opened for that topic id, else opened now ({@link LocalReplicas#open}).
   */
  private PartitionReplica adoptOrOpen(PartitionId id, String topicId) throws IOException {
    Preopened pre = openedBeforeMetadata.get(id);
    if (pre != null && Objects.equals(pre.topicId(), topicId)) {
      openedBeforeMetadata.remove(id);
      PartitionReplica listed = replicas.adopt(pre.replica(), topicId);
      if (listed != pre.replica()) {
        closeQuietly(id, pre.replica());
      }
      return listed;
    }
    return replicas.open(id, topicId);
  }

  /**
   * Closes the replicas opened before the first metadata that it did not assign here: nothing
   * opened them before that change either.
   */
  private void closeUnassigned() {
    for (Map.Entry<PartitionId, Preopened> e : openedBeforeMetadata.entrySet()) {
      PartitionId id = e.getKey();
      recordFollowed(id, Optional.empty());
      getContext()
          .getLog()
          .info("{}: not assigned to this node; its log, opened at start, is closed", id);
      retire(id, e.getValue().replica(), false);
    }
    openedBeforeMetadata.clear();
  }

  /**
   * Takes the replica of {@code id} opened before the metadata, if any, out of that set and closes
   * it once its provisional actors (if any) stopped.
   *
   * @return true if it is closed already (or there was none), false while its actors stop
   */
  private boolean closeOpenedBeforeMetadata(PartitionId id, boolean deleteData) {
    Preopened pre = openedBeforeMetadata.remove(id);
    return pre == null || retire(id, pre.replica(), deleteData);
  }

  /**
   * Closes a replica outside the open set: at once when it runs no actors, else once its
   * provisional actors stopped ({@link #startRemoval}).
   *
   * @return true if it was closed at once
   */
  private boolean retire(PartitionId id, PartitionReplica replica, boolean deleteData) {
    if (!actors.containsKey(id) && !leaderActors.containsKey(id)) {
      closeQuietly(id, replica);
      return true;
    }
    startRemoval(id, replica, deleteData);
    return false;
  }

  private void closeQuietly(PartitionId id, PartitionReplica replica) {
    try {
      replica.close();
    } catch (IOException | RuntimeException e) {
      getContext().getLog().warn("{}: closing its log failed: {}", id, e.toString());
    }
  }

  private Behavior<Command> onResubscribe(Resubscribe msg) {
    controller.tell(new Controller.Subscribe(subscriber));
    return this;
  }

  private Behavior<Command> onApplyMetadata(ApplyMetadata msg) {
    MetadataSnapshot current = published.get();
    if (current != null && current.revision() > msg.snapshot().revision()) {
      return this; // late delivery of an older snapshot
    }
    removeDeleted(msg.snapshot());
    Set<PartitionId> assigned = new HashSet<>();
    for (TopicMetadata topic : msg.snapshot().topics()) {
      TopicSettings settings =
          settingsRead.computeIfAbsent(
              topic.config(), c -> TopicSettings.stored(c, replicas.storage()));
      for (PartitionAssignment p : topic.partitions()) {
        if (!p.replicas().contains(replicas.localNode())) {
          continue;
        }
        PartitionId id = new PartitionId(topic.name(), p.partition());
        assigned.add(id);
        if (!removing.containsKey(id)) {
          apply(id, topic, p, settings, msg.snapshot());
        }
      }
    }
    closeUnassigned();
    published.publish(msg.snapshot());
    for (Map.Entry<PartitionId, Optional<FollowedLeader>> e : toRecord.entrySet()) {
      recordFollowed(e.getKey(), e.getValue());
    }
    toRecord.clear();
    forgetFollowedOfUnassigned(assigned);
    return this;
  }

  /**
   * Removes the followed-leader record of every replica here that the snapshot no longer assigns to
   * this node: a restart must not follow for a replica the controller moved away.
   */
  private void forgetFollowedOfUnassigned(Set<PartitionId> assigned) {
    List<PartitionId> stale = new ArrayList<>();
    for (Map.Entry<PartitionId, Optional<FollowedLeader>> e : followedOnDisk.entrySet()) {
      if (e.getValue().isPresent() && !assigned.contains(e.getKey())) {
        stale.add(e.getKey());
      }
    }
    for (PartitionId id : stale) {
      if (Files.isDirectory(replicas.dirOf(id))) {
        recordFollowed(id, Optional.empty());
      } else {
        followedOnDisk.remove(id);
      }
    }
  }

  /**
   * Removes the directories here that the snapshot's deleted topics name: at once when no replica
   * is open on them, else after the replica's actors stopped ({@link #startRemoval}).
   */
  private void removeDeleted(MetadataSnapshot snapshot) {
    for (DeletedTopic deleted : snapshot.deletedTopics()) {
      if (deletionsDone.contains(deleted)) {
        continue;
      }
      boolean done = true;
      Optional<TopicMetadata> current = snapshot.topic(deleted.name());
      for (int i = 0; i < deleted.partitions(); i++) {
        PartitionId id = new PartitionId(deleted.name(), i);
        if (removing.containsKey(id)) {
          done = false;
          continue;
        }
        Path dir = replicas.dirOf(id);
        try {
          if (!Files.isDirectory(dir)
              || !ReplicaDirectories.belongsToDeleted(
                  ReplicaDirectories.topicId(dir), deleted, current)) {
            continue;
          }
          followedOnDisk.remove(id);
          Optional<PartitionReplica> open = replicas.remove(id);
          if (open.isPresent()) {
            startRemoval(id, open.get(), true);
            done = false;
          } else if (!closeOpenedBeforeMetadata(id, true)) {
            done = false; // its provisional follower stops first; the directory goes after
          } else {
            ReplicaDirectories.remove(dir);
            getContext()
                .getLog()
                .info("{}: removed its data: topic {} was deleted", id, describe(deleted));
          }
        } catch (IOException | RuntimeException e) {
          done = false;
          getContext()
              .getLog()
              .warn(
                  "{}: could not remove the data of deleted topic {}; retried with the next"
                      + " metadata: {}",
                  id,
                  describe(deleted),
                  e.toString());
        }
      }
      if (done) {
        deletionsDone.add(deleted);
      }
    }
  }

  private static String describe(DeletedTopic deleted) {
    return deleted.name() + (deleted.topicId() == null ? "" : " (id " + deleted.topicId() + ")");
  }

  /**
   * Stops the actors of a replica already taken out of the open set. Its leader side stops serving
   * first, so replication streams from it end; the log is closed only when no actor can touch it,
   * and its directory removed then if {@code deleteData} (its topic was deleted).
   */
  private void startRemoval(PartitionId id, PartitionReplica replica, boolean deleteData) {
    replica.leaderHandle().close();
    List<ActorRef<?>> running = new ArrayList<>();
    Optional.ofNullable(actors.remove(id)).ifPresent(running::add);
    Optional.ofNullable(leaderActors.remove(id)).ifPresent(running::add);
    removing.put(id, new Removal(replica, deleteData, running.size()));
    if (deleteData) {
      getContext()
          .getLog()
          .info("{}: its topic was deleted; stopping the replica and removing its data", id);
    }
    for (ActorRef<?> ref : running) {
      getContext().watchWith(ref, new ReplicaActorStopped(id));
      getContext().stop(ref);
    }
    if (running.isEmpty()) {
      finishRemoval(id);
    }
  }

  private Behavior<Command> onReplicaActorStopped(ReplicaActorStopped msg) {
    Removal removal = removing.get(msg.partition());
    if (removal != null && --removal.actorsRunning <= 0) {
      finishRemoval(msg.partition());
    }
    return this;
  }

  private void finishRemoval(PartitionId id) {
    Removal removal = removing.get(id);
    try {
      removal.replica.close();
    } catch (IOException | RuntimeException e) {
      getContext()
          .getLog()
          .warn("{}: closing the log before its removal failed: {}", id, e.toString());
    }
    if (!removal.deleteData) {
      closed(id);
      return;
    }
    try {
      ReplicaDirectories.remove(replicas.dirOf(id));
      getContext().getLog().info("{}: removed its data: its topic was deleted", id);
    } catch (IOException | RuntimeException e) {
      getContext()
          .getLog()
          .error(
              "{}: could not remove {}; retried when this node restarts: {}",
              id,
              replicas.dirOf(id),
              e.toString());
    }
    closed(id);
  }

  /**
   * The replica of {@code id} is closed: a later snapshot may open it again (a topic re-created
   * under the same name waited for its directory, or the partition was assigned here meanwhile).
   */
  private void closed(PartitionId id) {
    removing.remove(id);
    MetadataSnapshot latest = published.get();
    if (latest != null) {
      getContext().getSelf().tell(new ApplyMetadata(latest));
    }
  }

  private void apply(
      PartitionId id,
      TopicMetadata topic,
      PartitionAssignment p,
      TopicSettings settings,
      MetadataSnapshot snapshot) {
    try {
      Optional<String> openFor = replicas.topicId(id);
      if (replicas.get(id).isPresent()
          && topic.topicId() != null
          && openFor.isPresent()
          && !openFor.get().equals(topic.topicId())) {
        // The open replica belongs to an older incarnation that no deleted topic names (yet).
        getContext()
            .getLog()
            .warn(
                "{}: the open replica belongs to topic id {}, the metadata to {}; not assigned",
                id,
                openFor.get(),
                topic.topicId());
        return;
      }
      PartitionReplica replica = adoptOrOpen(id, topic.topicId());
      applySettings(id, replica, settings);
      ActorRef<PartitionReplicaActor.Command> actor = actors.get(id);
      if (actor == null) {
        actor = start(id, replica, topic.topicId());
        actors.put(id, actor);
      }
      if (p.leader() == replicas.localNode()) {
        // Gone, durably, before this node may append as leader: a restart must not follow an
        // older leader with a log this node wrote as leader since.
        recordFollowed(id, Optional.empty());
      }
      // Applied here first (the leader actor is told inside), so that once this snapshot is
      // published the API sees the new role; the replica's actor then starts or stops its
      // follower FSM.
      Assignment assignment =
          new Assignment(p.leader(), p.leaderEpoch(), p.replicas(), p.inSync(), p.version());
      if (replica.assign(assignment)) {
        actor.tell(new PartitionReplicaActor.RoleAssigned(p.leader(), p.leaderEpoch()));
      }
      toRecord.put(id, followedBy(id, replica, topic.topicId(), snapshot));
    } catch (IOException | RuntimeException e) {
      getContext().getLog().error("cannot open replica {}: {}", id, e.toString(), e);
    }
  }

  /**
   * The replica's two actors: its leader side, attached before any role is applied, and its own.
   */
  private ActorRef<PartitionReplicaActor.Command> start(
      PartitionId id, PartitionReplica replica, String topicId) {
    int node = replicas.localNode();
    ActorRef<PartitionLeader.Command> leader =
        replica
            .leaderHandle()
            .spawn(
                (behavior, name, props) ->
                    getContext()
                        .spawn(
                            LogMdc.around(PartitionLeader.Command.class, node, id, behavior),
                            name,
                            props),
                getContext().getSystem().scheduler(),
                leaderSettings,
                (epoch, baseVersion, inSync) -> proposeInSync(id, epoch, baseVersion, inSync),
                replicas.leaderCounters());
    leaderActors.put(id, leader);
    return getContext()
        .spawn(
            LogMdc.around(
                PartitionReplicaActor.Command.class,
                node,
                id,
                PartitionReplicaActor.create(replica, topicId, replication)),
            "replica-" + id.dirName());
  }

  /**
   * The topic's settings on one replica: limits and retention on its log, min-in-sync-replicas on
   * its leader side. Both ignore a value they already have. A value this node cannot apply (a batch
   * limit above its own segment size) keeps the node's and is logged.
   */
  private void applySettings(PartitionId id, PartitionReplica replica, TopicSettings settings) {
    try {
      replica.log().reconfigure(settings.storage(replicas.storage()));
    } catch (RuntimeException e) {
      getContext()
          .getLog()
          .warn("{}: cannot apply the topic's settings {}: {}", id, settings, e.getMessage());
    }
    replica
        .leaderHandle()
        .minInSyncReplicas(settings.minInSyncReplicas(0), leaderSettings.minInSyncReplicas());
  }

  /** Sends a leader's in-sync change to the controller; called from the leader actor. */
  private CompletionStage<InSyncProposer.Decision> proposeInSync(
      PartitionId id, int epoch, long baseVersion, List<Integer> inSync) {
    return AskPattern.<Controller.Command, Controller.InSyncSetReply>ask(
            controller,
            replyTo ->
                new Controller.UpdateInSyncSet(
                    id.topic(), id.partition(), epoch, (int) baseVersion, inSync, replyTo),
            IN_SYNC_ASK_TIMEOUT,
            getContext().getSystem().scheduler())
        .thenApply(
            reply -> {
              if (reply instanceof Controller.InSyncSetUpdated updated) {
                PartitionAssignment p = updated.partition();
                return new InSyncProposer.Accepted(p.inSync(), p.version());
              }
              if (reply instanceof Controller.InSyncSetStale stale) {
                PartitionAssignment p = stale.current();
                return new InSyncProposer.Superseded(p.inSync(), p.version());
              }
              return new InSyncProposer.Refused(((Controller.InSyncSetRejected) reply).message());
            });
  }

  private Behavior<Command> onGetStatuses(GetStatuses msg) {
    List<ReplicaStatus> out = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (PartitionReplica r : replicas.all()) {
      PartitionId id = r.partitionId();
      if (id.topic().equals(msg.topic()) && seen.add(id.partition())) {
        out.add(ReplicaStatus.withFollowerLag(r, watchdogState));
      }
    }
    msg.replyTo().tell(new Statuses(replicas.localNode(), out));
    return this;
  }
}
