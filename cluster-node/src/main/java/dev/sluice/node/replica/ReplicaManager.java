package dev.sluice.node.replica;

import dev.sluice.node.NodeSerializable;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.controller.TopicMetadata;
import dev.sluice.replication.transfer.TransferSettings;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchdogState;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Applies the controller's metadata to this node: opens (and recovers) the log of every partition
 * replica assigned here and starts one supervised {@link PartitionReplicaActor} per replica, which
 * runs the replica's role (leader, or follower with its catch-up FSM) for the leader and epoch the
 * controller assigned. As leader of a partition it proposes in-sync set changes to the controller.
 * It also answers status queries from other nodes, found through the receptionist, so that {@code
 * GET /topics/{t}} on any node shows every replica's offsets and state.
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

  /** Reply: this node's replicas of the asked topic. */
  public record Statuses(int node, List<PartitionStatus> replicas) implements NodeSerializable {}

  public record PartitionStatus(int partition, ReplicaStatus status) implements NodeSerializable {}

  private record Resubscribe() implements Command {}

  /** Timer: leaders re-evaluate their in-sync sets. */
  private record EvaluateInSync() implements Command {}

  private record InSyncAnswered(
      TopicPartition tp, Controller.InSyncSetReply reply, Throwable failure) implements Command {}

  private static final Duration EVALUATE_IN_SYNC_EVERY = Duration.ofSeconds(1);
  private static final Duration IN_SYNC_ASK_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Subscription repeats on a timer: when the controller singleton moves to another node its
   * subscriber list starts empty, and subscribing is idempotent.
   */
  private static final Duration RESUBSCRIBE_EVERY = Duration.ofSeconds(3);

  public static Behavior<Command> create(
      LocalReplicas replicas,
      AppliedMetadata published,
      ActorRef<Controller.Command> controller,
      TransferSettings transfer,
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
                  timers.startTimerWithFixedDelay(new EvaluateInSync(), EVALUATE_IN_SYNC_EVERY);
                  PartitionReplicaActor.Replication replication =
                      new PartitionReplicaActor.Replication(published, transfer, watchdog);
                  return new ReplicaManager(
                      ctx, replicas, published, controller, adapter, replication, watchdogState);
                }));
  }

  private final LocalReplicas replicas;
  private final AppliedMetadata published;
  private final ActorRef<Controller.Command> controller;
  private final ActorRef<MetadataSnapshot> subscriber;
  private final PartitionReplicaActor.Replication replication;
  private final Map<TopicPartition, ActorRef<PartitionReplicaActor.Command>> actors =
      new HashMap<>();
  private final WatchdogState watchdogState;

  private ReplicaManager(
      ActorContext<Command> ctx,
      LocalReplicas replicas,
      AppliedMetadata published,
      ActorRef<Controller.Command> controller,
      ActorRef<MetadataSnapshot> subscriber,
      PartitionReplicaActor.Replication replication,
      WatchdogState watchdogState) {
    super(ctx);
    this.replication = replication;
    this.watchdogState = watchdogState;
    this.replicas = replicas;
    this.published = published;
    this.controller = controller;
    this.subscriber = subscriber;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ApplyMetadata.class, this::onApplyMetadata)
        .onMessage(GetStatuses.class, this::onGetStatuses)
        .onMessage(Resubscribe.class, this::onResubscribe)
        .onMessage(EvaluateInSync.class, this::onEvaluateInSync)
        .onMessage(InSyncAnswered.class, this::onInSyncAnswered)
        .build();
  }

  private final Set<TopicPartition> inSyncProposals = new HashSet<>();

  private Behavior<Command> onEvaluateInSync(EvaluateInSync msg) {
    for (PartitionReplica r : replicas.all()) {
      if (!r.isLeader() || inSyncProposals.contains(r.topicPartition())) {
        continue;
      }
      r.proposeInSync().ifPresent(proposal -> propose(r, proposal));
    }
    return this;
  }

  private void propose(PartitionReplica r, List<Integer> proposal) {
    TopicPartition tp = r.topicPartition();
    int epoch = r.leaderEpoch();
    getContext()
        .getLog()
        .info(
            "{}: proposing in-sync set {} (was {}) at leader epoch {}",
            tp,
            proposal,
            r.inSync(),
            epoch);
    inSyncProposals.add(tp);
    getContext()
        .ask(
            Controller.InSyncSetReply.class,
            controller,
            IN_SYNC_ASK_TIMEOUT,
            replyTo ->
                new Controller.UpdateInSyncSet(
                    tp.topic(), tp.partition(), epoch, proposal, replyTo),
            (reply, failure) -> new InSyncAnswered(tp, reply, failure));
  }

  private Behavior<Command> onInSyncAnswered(InSyncAnswered msg) {
    inSyncProposals.remove(msg.tp());
    if (msg.reply() instanceof Controller.InSyncSetUpdated updated) {
      PartitionAssignment p = updated.partition();
      // Same leader and epoch, only the in-sync set changed: the replica's role stays.
      replicas
          .get(msg.tp())
          .ifPresent(r -> r.assign(p.leader(), p.leaderEpoch(), p.replicas(), p.inSync()));
    } else if (msg.reply() instanceof Controller.InSyncSetRejected rejected) {
      getContext()
          .getLog()
          .warn("{}: in-sync set change refused: {}", msg.tp(), rejected.message());
    } else if (msg.failure() != null) {
      getContext()
          .getLog()
          .warn("{}: in-sync set change not confirmed: {}", msg.tp(), msg.failure().toString());
    }
    return this;
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
    for (TopicMetadata topic : msg.snapshot().topics()) {
      for (PartitionAssignment p : topic.partitions()) {
        if (p.replicas().contains(replicas.localNode())) {
          apply(new TopicPartition(topic.name(), p.partition()), p);
        }
      }
    }
    published.publish(msg.snapshot());
    return this;
  }

  private void apply(TopicPartition tp, PartitionAssignment p) {
    try {
      PartitionReplica replica = replicas.open(tp);
      // Assigned here first, so that once this snapshot is published the API sees the new role;
      // the replica's actor then starts or stops its follower FSM.
      replica.assign(p.leader(), p.leaderEpoch(), p.replicas(), p.inSync());
      actors
          .computeIfAbsent(
              tp,
              key ->
                  getContext()
                      .spawn(
                          PartitionReplicaActor.create(replica, replication),
                          "replica-" + key.dirName()))
          .tell(new PartitionReplicaActor.RoleAssigned(p.leader(), p.leaderEpoch()));
    } catch (IOException | RuntimeException e) {
      getContext().getLog().error("cannot open replica {}: {}", tp, e.toString(), e);
    }
  }

  private Behavior<Command> onGetStatuses(GetStatuses msg) {
    List<PartitionStatus> out = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (PartitionReplica r : replicas.all()) {
      TopicPartition tp = r.topicPartition();
      if (tp.topic().equals(msg.topic()) && seen.add(tp.partition())) {
        ReplicaStatus status = r.status();
        ReplicaStatus withStall =
            watchdogState
                .replica(tp.dirName())
                .map(h -> status.withStall(h.stalled(), h.stallCount()))
                .orElse(status);
        out.add(new PartitionStatus(tp.partition(), withStall));
      }
    }
    msg.replyTo().tell(new Statuses(replicas.localNode(), out));
    return this;
  }
}
