package dev.sluice.node.controller;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.sluice.api.TopicNames;
import dev.sluice.config.ControllerSettings;
import dev.sluice.config.LeaderBalanceSettings;
import dev.sluice.node.controller.Controller.Event.InSyncSetChanged;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The cluster controller: the single writer of the cluster's metadata (topics, replica assignments,
 * leaders, leader epochs, in-sync sets, live nodes). It runs as a cluster singleton ({@link
 * ControllerSingleton}) and is event-sourced, so a controller that restarts or moves to another
 * node recovers the same metadata from the journal.
 *
 * <p>Failover rules (docs/replication.md, "Failover: no acknowledged record is lost"): when a node
 * leaves, every partition it led elects the first eligible replica of its in-sync set (live, and on
 * the disk its membership was recorded with: each node registers its data directory's storage id)
 * and bumps the leader epoch; with no such replica the partition goes offline (leader -1), unless
 * the {@link ElectionPolicy} allows an unclean election. A node that returns with another storage
 * id is a new, empty replica: it loses its leaderships and in-sync memberships. In-sync updates
 * come from the leader and are fenced by the leader epoch; every change to a partition bumps its
 * version. The decisions themselves live in {@link ControllerState}, which is pure; this actor logs
 * what they explain.
 *
 * <p>It also hands out idempotent producers' ids in blocks ({@link AllocateProducerIds}), as
 * Kafka's controller does: each block is journaled before it is answered, so no id is handed out
 * twice over the cluster's lifetime, whichever node hosts the controller.
 *
 * <p>Subscribers ({@link Subscribe}) are volatile: after every persisted change, and after
 * recovery, each receives the whole {@link MetadataSnapshot}. A subscriber that stops is dropped.
 * When the singleton moves, the new controller has no subscribers; {@code Subscribe} is idempotent
 * and answers with the current snapshot at once, so nodes re-send it when the singleton moves (or
 * periodically).
 *
 * <p>Thread-safety: an actor; the subscriber set is touched only from its message handlers.
 */
public final class Controller
    extends EventSourcedBehavior<Controller.Command, Controller.Event, ControllerState> {

  /** One controller per cluster, hence one fixed persistence id. */
  public static final String PERSISTENCE_ID = "sluice-controller";

  public static final int MAX_PARTITIONS = 10_000;

  // ---- protocol -------------------------------------------------------------------------------

  public sealed interface Command extends ControllerSerializable {}

  /**
   * Creates a topic with its own settings ({@code config}, checked by the caller against the node
   * rules: {@code dev.sluice.config.TopicSettings}); answered with {@link TopicCreated} or {@link
   * TopicRejected}.
   */
  public record CreateTopic(
      String name,
      int partitions,
      int replicationFactor,
      Map<String, String> config,
      ActorRef<CreateTopicReply> replyTo)
      implements Command {
    @JsonCreator
    public CreateTopic {
      config = config == null ? Map.of() : Map.copyOf(config);
    }

    /** A topic with the node defaults. */
    public CreateTopic(
        String name, int partitions, int replicationFactor, ActorRef<CreateTopicReply> replyTo) {
      this(name, partitions, replicationFactor, Map.of(), replyTo);
    }
  }

  /**
   * Deletes a topic: it leaves the metadata at once, and every replica removes its data (see {@link
   * DeletedTopic}). Answered with {@link TopicChanged} (the topic as it was) or {@link
   * TopicRejected} (404 unknown).
   */
  public record DeleteTopic(String name, ActorRef<TopicChangeReply> replyTo) implements Command {}

  /**
   * Grows a topic to {@code partitions} partitions, placed like a new topic's; answered with {@link
   * TopicChanged} or {@link TopicRejected} (404 unknown, 400 not more than now or too many).
   */
  public record AddPartitions(String name, int partitions, ActorRef<TopicChangeReply> replyTo)
      implements Command {}

  /**
   * Replaces a topic's settings with {@code config} (already checked by the caller against the node
   * rules); answered with {@link TopicChanged} or {@link TopicRejected} (404 unknown).
   */
  public record AlterTopicConfig(
      String name, Map<String, String> config, ActorRef<TopicChangeReply> replyTo)
      implements Command {
    public AlterTopicConfig {
      config = Map.copyOf(config);
    }
  }

  /**
   * Gives the leadership of every partition whose preferred replica may lead (live, in sync, on its
   * recorded disk) back to it; answered with the {@link LeadersMoved}.
   */
  public record RebalanceLeaders(ActorRef<LeadersMoved> replyTo) implements Command {}

  /** Timer: the automatic preferred-leader check. */
  private enum BalanceDue implements Command {
    INSTANCE
  }

  /**
   * Answered with the current {@link MetadataSnapshot}: an operations query (and a test's view of
   * the journal after recovery); nodes receive metadata through {@link Subscribe}.
   */
  public record GetMetadata(ActorRef<MetadataSnapshot> replyTo) implements Command {}

  /**
   * A node became a cluster member, or repeats its registration; {@code address} is what other
   * nodes use to reach it, {@code storageId} identifies its data directory (null if the node does
   * not know one: it is then trusted as before storage ids existed).
   */
  public record NodeUp(int nodeId, String address, String storageId) implements Command {}

  /** A node left the cluster (removed or downed): its partitions fail over. */
  public record NodeDown(int nodeId) implements Command {}

  /**
   * The leader's new in-sync set for a partition; answered with {@link InSyncSetUpdated} or {@link
   * InSyncSetRejected}. Rejected when {@code leaderEpoch} is not the current one (a deposed
   * leader), when the set is not a subset of the replicas holding the leader, or when it adds a
   * node that is not live.
   */
  public record UpdateInSyncSet(
      String topic,
      int partition,
      int leaderEpoch,
      int baseVersion,
      List<Integer> inSync,
      ActorRef<InSyncSetReply> replyTo)
      implements Command {
    public UpdateInSyncSet {
      inSync = List.copyOf(inSync);
    }
  }

  /**
   * Hands out {@code count} producer ids that were never handed out before and never will be again
   * (journaled before the answer); answered with {@link ProducerIdBlock}, or {@link
   * ProducerIdsRejected} when {@code count} is out of range.
   */
  public record AllocateProducerIds(int count, ActorRef<ProducerIdsReply> replyTo)
      implements Command {}

  /** Registers for a {@link MetadataSnapshot} now and after every change; idempotent. */
  public record Subscribe(ActorRef<MetadataSnapshot> subscriber) implements Command {}

  private record SubscriberTerminated(ActorRef<MetadataSnapshot> subscriber) implements Command {}

  /** Timer: publish the newest state to every subscriber. */
  private enum PublishDue implements Command {
    INSTANCE
  }

  /** Longest a change waits before subscribers see it (changes within it share one snapshot). */
  static final Duration PUBLISH_DELAY = Duration.ofMillis(100);

  /**
   * Sent only to {@link ControllerSingleton}'s start-up behaviour, which stashes commands until the
   * journal schema exists and then becomes the controller; {@code failure} is null on success.
   */
  record JournalPrepared(String failure) implements Command {}

  /** Why a request was refused; maps onto HTTP 400, 404 and 409. */
  public enum Status {
    BAD_REQUEST,
    NOT_FOUND,
    CONFLICT
  }

  public sealed interface CreateTopicReply extends ControllerSerializable {}

  public record TopicCreated(TopicMetadata topic) implements CreateTopicReply {}

  public record TopicRejected(Status status, String message)
      implements CreateTopicReply, TopicChangeReply {}

  public sealed interface TopicChangeReply extends ControllerSerializable {}

  /** The topic after the change (for a delete: as it was before). */
  public record TopicChanged(TopicMetadata topic) implements TopicChangeReply {}

  /** One leadership given back to a preferred replica. */
  public record LeaderMove(String topic, int partition, int from, int to, int leaderEpoch)
      implements ControllerSerializable {}

  /** The moves a rebalance made; empty when every leader that could be preferred already is. */
  public record LeadersMoved(List<LeaderMove> moves) implements ControllerSerializable {
    public LeadersMoved {
      moves = List.copyOf(moves);
    }
  }

  public sealed interface InSyncSetReply extends ControllerSerializable {}

  /**
   * The partition as it stands after the update (unchanged if the set was already current), with
   * the version that orders it among the metadata snapshots a node receives.
   */
  public record InSyncSetUpdated(PartitionAssignment partition) implements InSyncSetReply {}

  public record InSyncSetRejected(Status status, String message) implements InSyncSetReply {}

  /**
   * Not applied: the proposal was computed against an older version of the partition. {@code
   * current} is the partition now; the leader takes its in-sync set as committed.
   */
  public record InSyncSetStale(PartitionAssignment current) implements InSyncSetReply {}

  public sealed interface ProducerIdsReply extends ControllerSerializable {}

  /** The producer ids {@code firstId} to {@code firstId + count - 1}, now the asker's alone. */
  public record ProducerIdBlock(long firstId, int count) implements ProducerIdsReply {
    public ProducerIdBlock {
      if (firstId < 0 || count < 1) {
        throw new IllegalArgumentException(
            "producer id block from " + firstId + " of " + count + " ids");
      }
    }
  }

  public record ProducerIdsRejected(String message) implements ProducerIdsReply {}

  /** What the journal holds. Nested here because some share a name with a reply. */
  public sealed interface Event extends ControllerSerializable {
    record TopicCreated(TopicMetadata topic) implements Event {}

    /** {@code leader} is {@link PartitionAssignment#NO_LEADER} when the partition went offline. */
    record LeaderElected(String topic, int partition, int leader, int leaderEpoch)
        implements Event {}

    /**
     * {@code inSyncStorageIds} ties each member to the storage id its data is on (see {@link
     * PartitionAssignment}); null in events written before storage ids existed, when members keep
     * what they had.
     */
    record InSyncSetChanged(
        String topic,
        int partition,
        int leaderEpoch,
        List<Integer> inSync,
        Map<Integer, String> inSyncStorageIds)
        implements Event {
      public InSyncSetChanged {
        inSync = List.copyOf(inSync);
        inSyncStorageIds =
            inSyncStorageIds == null
                ? null
                : Collections.unmodifiableMap(new TreeMap<>(inSyncStorageIds));
      }
    }

    /** {@code storageId} is null in events written before storage ids existed. */
    record NodeJoined(int nodeId, String address, String storageId) implements Event {}

    record NodeLeft(int nodeId) implements Event {}

    /** The topic is gone; its replicas remove their data. */
    record TopicDeleted(String topic, String topicId, int partitions) implements Event {}

    /** New partitions, numbered on from the topic's last one. */
    record PartitionsAdded(String topic, List<PartitionAssignment> partitions) implements Event {
      public PartitionsAdded {
        partitions = List.copyOf(partitions);
      }
    }

    /**
     * Producer ids {@code firstId} to {@code firstId + count - 1} were handed out; none of them is
     * handed out again.
     */
    record ProducerIdsAllocated(long firstId, int count) implements Event {}

    /** The topic's settings are now {@code config} (all of them, not a difference). */
    record TopicConfigChanged(String topic, Map<String, String> config) implements Event {
      public TopicConfigChanged {
        config = Collections.unmodifiableMap(new TreeMap<>(config));
      }
    }
  }

  // ---- behaviour ------------------------------------------------------------------------------

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ElectionPolicy policy;
  private final LeaderBalanceSettings balance;
  private final Set<ActorRef<MetadataSnapshot>> subscribers = new HashSet<>();

  /**
   * The controller, electing leaders by {@code policy} when no replica is eligible, without
   * automatic leader balance (a leader moves back to its preferred replica only on {@link
   * RebalanceLeaders}).
   */
  public static Behavior<Command> create(ElectionPolicy policy) {
    return create(policy, LeaderBalanceSettings.MANUAL);
  }

  /**
   * The controller, electing leaders by {@code policy} when no replica is eligible and giving
   * leadership back to preferred replicas as {@code balance} says.
   */
  public static Behavior<Command> create(ElectionPolicy policy, LeaderBalanceSettings balance) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(timers -> new Controller(context, timers, policy, balance)));
  }

  private Controller(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ElectionPolicy policy,
      LeaderBalanceSettings balance) {
    // A journal that fails is retried with backoff; commands are stashed meanwhile.
    super(
        PersistenceId.ofUniqueId(PERSISTENCE_ID),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(500), Duration.ofSeconds(10), 0.2));
    this.context = context;
    this.timers = timers;
    this.policy = policy;
    this.balance = balance;
  }

  @Override
  public ControllerState emptyState() {
    return ControllerState.empty();
  }

  /** Metadata changes rarely; a snapshot every 100 events keeps recovery to a few reads. */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandler<Command, Event, ControllerState> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(CreateTopic.class, this::onCreateTopic)
        .onCommand(GetMetadata.class, this::onGetMetadata)
        .onCommand(NodeUp.class, this::onNodeUp)
        .onCommand(NodeDown.class, this::onNodeDown)
        .onCommand(UpdateInSyncSet.class, this::onUpdateInSyncSet)
        .onCommand(Subscribe.class, this::onSubscribe)
        .onCommand(SubscriberTerminated.class, this::onSubscriberTerminated)
        .onCommand(PublishDue.class, (state, c) -> onPublishDue(state))
        .onCommand(DeleteTopic.class, this::onDeleteTopic)
        .onCommand(AddPartitions.class, this::onAddPartitions)
        .onCommand(AlterTopicConfig.class, this::onAlterTopicConfig)
        .onCommand(RebalanceLeaders.class, this::onRebalanceLeaders)
        .onCommand(BalanceDue.class, (state, c) -> onBalanceDue(state))
        .onCommand(AllocateProducerIds.class, this::onAllocateProducerIds)
        .build();
  }

  @Override
  public EventHandler<ControllerState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(ControllerState::apply);
  }

  @Override
  public SignalHandler<ControllerState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted)
        .build();
  }

  private void onRecoveryCompleted(ControllerState state) {
    context
        .getLog()
        .info(
            "Controller recovered revision {}: {} topics, live nodes {}, unclean leader election {}",
            state.revision(),
            state.topics().size(),
            state.liveNodes().keySet(),
            policy == ElectionPolicy.UNCLEAN_ALLOWED ? "allowed" : "off");
    // Subscribers kept across a journal restart may have missed changes.
    publish(state);
    if (balance.enabled()) {
      timers.startTimerWithFixedDelay(BalanceDue.INSTANCE, balance.interval());
    }
  }

  private Effect<Event, ControllerState> onCreateTopic(ControllerState state, CreateTopic c) {
    Optional<TopicRejected> rejection = validate(state, c);
    if (rejection.isPresent()) {
      return Effect().reply(c.replyTo(), rejection.get());
    }
    List<List<Integer>> replicas =
        ReplicaPlacement.assign(
            state.liveNodes().keySet(),
            c.partitions(),
            c.replicationFactor(),
            state.totalPartitions());
    List<PartitionAssignment> partitions = new ArrayList<>(replicas.size());
    for (int p = 0; p < replicas.size(); p++) {
      partitions.add(
          PartitionAssignment.initial(p, replicas.get(p), state.storageIdsOf(replicas.get(p))));
    }
    // Chosen here, not in the event handler: replaying the event must give the same id.
    String topicId = UUID.randomUUID().toString();
    TopicMetadata topic = new TopicMetadata(c.name(), partitions, topicId, c.config());
    return Effect()
        .persist(new Event.TopicCreated(topic))
        .thenRun(this::schedulePublish)
        .thenReply(c.replyTo(), s -> new TopicCreated(topic));
  }

  private static Optional<TopicRejected> validate(ControllerState state, CreateTopic c) {
    // Names become directory names on every replica: the rule is the API's, so that a client
    // can check a name before it sends it.
    Optional<String> badName = TopicNames.violation(c.name());
    if (badName.isPresent()) {
      return badRequest(badName.get());
    }
    String name = c.name();
    if (state.topics().containsKey(name)) {
      return Optional.of(new TopicRejected(Status.CONFLICT, "topic '" + name + "' already exists"));
    }
    if (c.partitions() < 1 || c.partitions() > MAX_PARTITIONS) {
      return badRequest(
          "partitions must be between 1 and " + MAX_PARTITIONS + ", got " + c.partitions());
    }
    if (c.replicationFactor() < 1) {
      return badRequest("replication factor must be at least 1, got " + c.replicationFactor());
    }
    int live = state.liveNodes().size();
    if (c.replicationFactor() > live) {
      return badRequest(
          "replication factor "
              + c.replicationFactor()
              + " is larger than the number of live nodes ("
              + live
              + ")");
    }
    return Optional.empty();
  }

  private static Optional<TopicRejected> badRequest(String message) {
    return Optional.of(new TopicRejected(Status.BAD_REQUEST, message));
  }

  private Effect<Event, ControllerState> onDeleteTopic(ControllerState state, DeleteTopic c) {
    Optional<TopicMetadata> topic = state.topic(c.name());
    if (topic.isEmpty()) {
      return Effect().reply(c.replyTo(), unknownTopic(c.name()));
    }
    TopicMetadata t = topic.get();
    context
        .getLog()
        .info(
            "Deleting topic {} (id {}, {} partitions): its replicas remove their data",
            t.name(),
            t.topicId(),
            t.partitions().size());
    return Effect()
        .persist(new Event.TopicDeleted(t.name(), t.topicId(), t.partitions().size()))
        .thenRun(this::schedulePublish)
        .thenReply(c.replyTo(), s -> new TopicChanged(t));
  }

  private Effect<Event, ControllerState> onAddPartitions(ControllerState state, AddPartitions c) {
    Optional<TopicMetadata> topic = state.topic(c.name());
    if (topic.isEmpty()) {
      return Effect().reply(c.replyTo(), unknownTopic(c.name()));
    }
    TopicMetadata t = topic.get();
    int current = t.partitions().size();
    if (c.partitions() <= current) {
      return Effect()
          .reply(
              c.replyTo(),
              new TopicRejected(
                  Status.BAD_REQUEST,
                  "topic "
                      + c.name()
                      + " has "
                      + current
                      + " partitions; the new count must be larger (partitions are never removed),"
                      + " got "
                      + c.partitions()));
    }
    int total = state.totalPartitions() - current + c.partitions();
    if (c.partitions() > MAX_PARTITIONS) {
      return Effect()
          .reply(
              c.replyTo(),
              new TopicRejected(
                  Status.BAD_REQUEST,
                  "partitions must be at most " + MAX_PARTITIONS + ", got " + c.partitions()));
    }
    int live = state.liveNodes().size();
    if (t.replicationFactor() > live) {
      return Effect()
          .reply(
              c.replyTo(),
              new TopicRejected(
                  Status.BAD_REQUEST,
                  "topic "
                      + c.name()
                      + " has replication factor "
                      + t.replicationFactor()
                      + ", larger than the number of live nodes ("
                      + live
                      + "): new partitions cannot be placed now"));
    }
    List<List<Integer>> replicas =
        ReplicaPlacement.assign(
            state.liveNodes().keySet(),
            c.partitions() - current,
            t.replicationFactor(),
            state.totalPartitions());
    List<PartitionAssignment> added = new ArrayList<>(replicas.size());
    for (int i = 0; i < replicas.size(); i++) {
      added.add(
          PartitionAssignment.initial(
              current + i, replicas.get(i), state.storageIdsOf(replicas.get(i))));
    }
    context
        .getLog()
        .info(
            "Topic {}: partitions {}..{} added ({} partitions in the cluster)",
            c.name(),
            current,
            c.partitions() - 1,
            total);
    return Effect()
        .persist(new Event.PartitionsAdded(c.name(), added))
        .thenRun(this::schedulePublish)
        .thenReply(c.replyTo(), s -> new TopicChanged(s.topics().get(c.name())));
  }

  private Effect<Event, ControllerState> onAlterTopicConfig(
      ControllerState state, AlterTopicConfig c) {
    Optional<TopicMetadata> topic = state.topic(c.name());
    if (topic.isEmpty()) {
      return Effect().reply(c.replyTo(), unknownTopic(c.name()));
    }
    if (topic.get().config().equals(new TreeMap<>(c.config()))) {
      return Effect().reply(c.replyTo(), new TopicChanged(topic.get()));
    }
    context
        .getLog()
        .info("Topic {}: settings now {} (were {})", c.name(), c.config(), topic.get().config());
    return Effect()
        .persist(new Event.TopicConfigChanged(c.name(), c.config()))
        .thenRun(this::schedulePublish)
        .thenReply(c.replyTo(), s -> new TopicChanged(s.topics().get(c.name())));
  }

  private static TopicRejected unknownTopic(String name) {
    return new TopicRejected(Status.NOT_FOUND, "unknown topic " + name);
  }

  private Effect<Event, ControllerState> onRebalanceLeaders(
      ControllerState state, RebalanceLeaders c) {
    ControllerState.Changes changes = state.preferredLeaderMoves(0);
    List<LeaderMove> moves = moves(state, changes);
    if (changes.events().isEmpty()) {
      return Effect().reply(c.replyTo(), new LeadersMoved(moves));
    }
    logMembershipAndElections(changes);
    return Effect()
        .persist(changes.events())
        .thenRun(this::schedulePublish)
        .thenReply(c.replyTo(), s -> new LeadersMoved(moves));
  }

  private Effect<Event, ControllerState> onBalanceDue(ControllerState state) {
    return persistAndPublish(state.preferredLeaderMoves(balance.imbalancePercent()));
  }

  private static List<LeaderMove> moves(ControllerState before, ControllerState.Changes changes) {
    List<LeaderMove> moves = new ArrayList<>();
    for (Event event : changes.events()) {
      if (event instanceof Event.LeaderElected e) {
        int from = before.topics().get(e.topic()).partition(e.partition()).leader();
        moves.add(new LeaderMove(e.topic(), e.partition(), from, e.leader(), e.leaderEpoch()));
      }
    }
    return moves;
  }

  /**
   * Journals the block before answering: a controller that fails over after the answer recovers the
   * event, and never hands the same ids out twice. Metadata subscribers are not told: nothing they
   * hold changed.
   */
  private Effect<Event, ControllerState> onAllocateProducerIds(
      ControllerState state, AllocateProducerIds c) {
    Event.ProducerIdsAllocated block;
    try {
      block = state.allocateProducerIds(c.count(), ControllerSettings.MAX_PRODUCER_ID_BLOCK);
    } catch (IllegalArgumentException e) {
      return Effect().reply(c.replyTo(), new ProducerIdsRejected(e.getMessage()));
    }
    return Effect()
        .persist(block)
        .thenReply(c.replyTo(), s -> new ProducerIdBlock(block.firstId(), block.count()));
  }

  private Effect<Event, ControllerState> onGetMetadata(ControllerState state, GetMetadata c) {
    return Effect().reply(c.replyTo(), state.toSnapshot());
  }

  private Effect<Event, ControllerState> onNodeUp(ControllerState state, NodeUp c) {
    return persistAndPublish(state.nodeUp(c.nodeId(), c.address(), c.storageId(), policy));
  }

  private Effect<Event, ControllerState> onNodeDown(ControllerState state, NodeDown c) {
    return persistAndPublish(state.nodeDown(c.nodeId(), policy));
  }

  private Effect<Event, ControllerState> onUpdateInSyncSet(
      ControllerState state, UpdateInSyncSet c) {
    Optional<TopicMetadata> topic = state.topic(c.topic());
    if (topic.isEmpty() || c.partition() < 0 || c.partition() >= topic.get().partitions().size()) {
      return Effect()
          .reply(
              c.replyTo(),
              new InSyncSetRejected(
                  Status.NOT_FOUND, "unknown partition " + c.topic() + "-" + c.partition()));
    }
    PartitionAssignment current = topic.get().partition(c.partition());
    Optional<InSyncSetRejected> rejection =
        InSyncRules.check(c.topic(), current, c.leaderEpoch(), c.inSync(), state.liveNodes());
    if (rejection.isPresent()) {
      return Effect().reply(c.replyTo(), rejection.get());
    }
    if (c.baseVersion() != current.version()) {
      // Computed against an older set: applying it could undo a change the leader has not seen
      // (a node removed because it came back on an empty disk). The answer carries the current
      // set, so the leader counts what is committed now; a retry of a proposal that was already
      // applied finds its own set and is answered as accepted.
      return Effect()
          .reply(
              c.replyTo(),
              samePlacement(current.inSync(), c.inSync())
                  ? new InSyncSetUpdated(current)
                  : new InSyncSetStale(current));
    }
    InSyncSetChanged change = state.inSyncChange(c.topic(), current, c.inSync());
    if (change.inSync().equals(current.inSync())) {
      return Effect().reply(c.replyTo(), new InSyncSetUpdated(current));
    }
    return Effect()
        .persist(change)
        .thenRun(this::schedulePublish)
        .thenReply(
            c.replyTo(),
            s -> new InSyncSetUpdated(s.topics().get(c.topic()).partition(c.partition())));
  }

  private static boolean samePlacement(List<Integer> a, List<Integer> b) {
    return a.size() == b.size() && a.containsAll(b);
  }

  private Effect<Event, ControllerState> onSubscribe(ControllerState state, Subscribe c) {
    if (subscribers.add(c.subscriber())) {
      context.watchWith(c.subscriber(), new SubscriberTerminated(c.subscriber()));
    }
    c.subscriber().tell(state.toSnapshot());
    return Effect().none();
  }

  private Effect<Event, ControllerState> onSubscriberTerminated(
      ControllerState state, SubscriberTerminated c) {
    subscribers.remove(c.subscriber());
    context.getLog().info("Dropped metadata subscriber {}: it stopped", c.subscriber().path());
    return Effect().none();
  }

  /** Membership commands: no event when nothing changed, so repeated reports cost nothing. */
  private Effect<Event, ControllerState> persistAndPublish(ControllerState.Changes changes) {
    if (changes.events().isEmpty()) {
      return Effect().none();
    }
    logMembershipAndElections(changes);
    return Effect().persist(changes.events()).thenRun(this::schedulePublish);
  }

  /**
   * Membership and leadership changes are rare and are what an operator reads after a failure.
   * Logged when decided, before they are persisted: a journal failure is logged on its own.
   */
  private void logMembershipAndElections(ControllerState.Changes changes) {
    for (Event event : changes.events()) {
      if (event instanceof Event.NodeJoined e) {
        context
            .getLog()
            .info(
                "Node {} is live at {} with storage id {}", e.nodeId(), e.address(), e.storageId());
      } else if (event instanceof Event.NodeLeft e) {
        context.getLog().info("Node {} left: the partitions it led fail over", e.nodeId());
      }
    }
    for (ControllerState.Notice notice : changes.notices()) {
      if (notice.severity() == ControllerState.Notice.Severity.WARN) {
        context.getLog().warn("{}", notice.message());
      } else {
        context.getLog().info("{}", notice.message());
      }
    }
  }

  /**
   * Snapshots go out at most every {@link #PUBLISH_DELAY}, with the newest state: a node restarting
   * with many partitions makes its leaders propose one in-sync change per partition, and a whole
   * snapshot per change would cost every node O(partitions) work per change. Whoever waits for an
   * answer gets it directly (the reply of its command); subscribers see the result a moment later.
   */
  private void schedulePublish(ControllerState state) {
    if (!timers.isTimerActive(PublishDue.INSTANCE)) {
      timers.startSingleTimer(PublishDue.INSTANCE, PublishDue.INSTANCE, PUBLISH_DELAY);
    }
  }

  private Effect<Event, ControllerState> onPublishDue(ControllerState state) {
    publish(state);
    return Effect().none();
  }

  private void publish(ControllerState state) {
    if (subscribers.isEmpty()) {
      return;
    }
    MetadataSnapshot snapshot = state.toSnapshot();
    for (ActorRef<MetadataSnapshot> subscriber : subscribers) {
      subscriber.tell(snapshot);
    }
  }
}
