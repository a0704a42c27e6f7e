package dev.sluice.node.replica;

import dev.sluice.node.LogMdc;
import dev.sluice.node.NodeSerializable;
import dev.sluice.node.controller.Controller;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
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

  /** Reply: this node's replicas of the asked topic, each with its followers' lag on a leader. */
  public record Statuses(int node, List<ReplicaStatus> replicas) implements NodeSerializable {}

  private record Resubscribe() implements Command {}

  /** Timer: every replica applies the retention limits. */
  private record ApplyRetention() implements Command {}

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
                  if (replicas.storage().retains()) {
                    timers.startTimerWithFixedDelay(
                        new ApplyRetention(), replicas.storage().retentionCheckInterval());
                  }
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
        .onMessage(ApplyMetadata.class, this::onApplyMetadata)
        .onMessage(GetStatuses.class, this::onGetStatuses)
        .onMessage(Resubscribe.class, this::onResubscribe)
        .onMessage(ApplyRetention.class, this::onApplyRetention)
        .build();
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
          apply(new PartitionId(topic.name(), p.partition()), p);
        }
      }
    }
    published.publish(msg.snapshot());
    return this;
  }

  private void apply(PartitionId id, PartitionAssignment p) {
    try {
      PartitionReplica replica = replicas.open(id);
      ActorRef<PartitionReplicaActor.Command> actor = actors.get(id);
      if (actor == null) {
        actor = start(id, replica);
        actors.put(id, actor);
      }
      // Applied here first (the leader actor is told inside), so that once this snapshot is
      // published the API sees the new role; the replica's actor then starts or stops its
      // follower FSM.
      Assignment assignment =
          new Assignment(p.leader(), p.leaderEpoch(), p.replicas(), p.inSync(), p.version());
      if (replica.assign(assignment)) {
        actor.tell(new PartitionReplicaActor.RoleAssigned(p.leader(), p.leaderEpoch()));
      }
    } catch (IOException | RuntimeException e) {
      getContext().getLog().error("cannot open replica {}: {}", id, e.toString(), e);
    }
  }

  /**
   * The replica's two actors: its leader side, attached before any role is applied, and its own.
   */
  private ActorRef<PartitionReplicaActor.Command> start(PartitionId id, PartitionReplica replica) {
    int node = replicas.localNode();
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
    return getContext()
        .spawn(
            LogMdc.around(
                PartitionReplicaActor.Command.class,
                node,
                id,
                PartitionReplicaActor.create(replica, replication)),
            "replica-" + id.dirName());
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
