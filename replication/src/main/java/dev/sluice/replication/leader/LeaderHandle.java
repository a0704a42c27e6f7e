package dev.sluice.replication.leader;

import dev.sluice.log.PartitionLog;
import dev.sluice.replication.BlockingIo;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.transfer.LeaderPartition;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader side of one local partition replica, as the rest of the node sees it. It applies the
 * controller's {@link Assignment}s, tells the replica's {@link PartitionLeader} actor to lead or
 * resign, asks that actor to append and to report commits, and serves the replication streams as
 * their {@link LeaderPartition}: the log, the role and epoch, the followers, a change signal, and
 * the followers' position reports (which become messages to the actor).
 *
 * <p>Fencing: an assignment with an older leader epoch than the one applied, or an older in-sync
 * version within the same epoch, is ignored, so a late controller reply can never make a deposed
 * node lead again. The actor is told of every accepted assignment before the new role becomes
 * visible here, so a produce request that sees this replica as leader always reaches an actor that
 * already leads.
 *
 * <p>Thread-safety: {@link #assign} is synchronized (the node's replica manager is its one caller);
 * everything else reads volatile snapshots or sends messages, and never blocks.
 */
public final class LeaderHandle implements LeaderPartition {
  private static final Logger logger = LoggerFactory.getLogger(LeaderHandle.class);

  /** Spawns the leader actor: {@code ActorContext::spawn} of its parent. */
  @FunctionalInterface
  public interface Spawner {
    ActorRef<PartitionLeader.Command> spawn(
        Behavior<PartitionLeader.Command> behavior, String name, Props props);
  }

  private final PartitionId partition;
  private final int localNode;
  private final PartitionLog log;
  private final ChangeSignal changes = new ChangeSignal();

  private volatile Assignment assignment = Assignment.NONE;
  private volatile LeaderView view = LeaderView.NOT_LEADING;
  private volatile ActorRef<PartitionLeader.Command> actor;
  private volatile Scheduler scheduler;

  /** The partition's own min-in-sync-replicas; 0 while it has none (the settings' value holds). */
  private volatile int minInSyncOverride;

  /**
   * @param localNode this node's id: the replica leads when an assignment names it
   * @param log the replica's open log, owned by the node
   */
  public LeaderHandle(PartitionId partition, int localNode, PartitionLog log) {
    this.partition = Objects.requireNonNull(partition, "partition");
    this.localNode = localNode;
    this.log = Objects.requireNonNull(log, "log");
  }

  /**
   * Spawns this replica's {@link PartitionLeader} on the blocking-IO dispatcher (it appends and
   * checkpoints), named {@code leader-<partition>}, and attaches it. Call before the first {@link
   * #assign}.
   *
   * @param proposer where in-sync changes go (the controller)
   * @param counters the node's leadership counters
   */
  public ActorRef<PartitionLeader.Command> spawn(
      Spawner spawner,
      Scheduler actorScheduler,
      LeaderSettings settings,
      InSyncProposer proposer,
      LeaderCounters counters) {
    PartitionLeader.Setup setup =
        new PartitionLeader.Setup(
            partition,
            log,
            settings,
            proposer,
            published -> view = published,
            changes,
            counters,
            this::assignedLeadership,
            System::nanoTime,
            () -> minInSyncOverride > 0 ? minInSyncOverride : settings.minInSyncReplicas());
    ActorRef<PartitionLeader.Command> ref =
        spawner.spawn(
            PartitionLeader.create(setup), "leader-" + partition.dirName(), BlockingIo.SELECTOR);
    attach(ref, actorScheduler);
    return ref;
  }

  /**
   * Connects a leader actor that was set up elsewhere; {@link #spawn} does this for the real one.
   * Must happen before the first {@link #assign}.
   */
  public void attach(ActorRef<PartitionLeader.Command> leaderActor, Scheduler actorScheduler) {
    this.scheduler = Objects.requireNonNull(actorScheduler, "actorScheduler");
    this.actor = Objects.requireNonNull(leaderActor, "leaderActor");
  }

  public PartitionId partition() {
    return partition;
  }

  @Override
  public PartitionLog log() {
    return log;
  }

  /** The assignment last applied; {@link Assignment#NONE} before the first. */
  public Assignment assignment() {
    return assignment;
  }

  /**
   * What the leader actor last published; {@link LeaderView#NOT_LEADING} while it does not lead.
   */
  public LeaderView view() {
    return view;
  }

  /**
   * Applies the controller's view of the partition, unless it is older than the one applied, and
   * tells the leader actor to lead (this node leads) or to resign (it led, or nothing was applied
   * yet).
   *
   * @return true if it was applied
   */
  public synchronized boolean assign(Assignment next) {
    Assignment current = assignment;
    if (next.equals(current)) {
      return false; // the same snapshot again (subscriptions repeat): nothing to tell anyone
    }
    if (next.olderThan(current)) {
      logger.debug("{}: ignoring stale assignment {} (applied {})", partition, next, current);
      return false;
    }
    ActorRef<PartitionLeader.Command> leaderActor = requireActor();
    if (next.leader() == localNode) {
      leaderActor.tell(
          new PartitionLeader.Lead(
              next.leaderEpoch(), next.replicas(), next.inSync(), next.version()));
    } else {
      // Before the follower starts (the caller starts it after this returns): no append of an
      // older epoch this node led can reach the log once the follower has read its end.
      log.fenceLeaderEpochsBelow(next.leaderEpoch());
      if (current.leader() == localNode || current == Assignment.NONE) {
        leaderActor.tell(new PartitionLeader.Resign(next.leaderEpoch(), next.leader()));
      }
    }
    assignment = next;
    changes.signal();
    return true;
  }

  /**
   * Sets the partition's {@code min-in-sync-replicas} (its topic's setting), or with 0 returns it
   * to the node's; the leader actor applies it to the term in progress and to every later one.
   *
   * @param minInSyncReplicas the value, at least 1; or 0 for the node's
   * @param nodeDefault the node's value, which 0 stands for
   */
  public void minInSyncReplicas(int minInSyncReplicas, int nodeDefault) {
    if (minInSyncReplicas < 0) {
      throw new IllegalArgumentException(
          partition
              + ": min-in-sync-replicas must be 0 (node default) or at least 1, got "
              + minInSyncReplicas);
    }
    if (minInSyncReplicas == minInSyncOverride) {
      return;
    }
    minInSyncOverride = minInSyncReplicas;
    ActorRef<PartitionLeader.Command> leaderActor = actor;
    if (leaderActor != null) {
      leaderActor.tell(
          new PartitionLeader.MinInSyncChanged(
              minInSyncReplicas > 0 ? minInSyncReplicas : nodeDefault));
    }
  }

  /** Appends through the leader actor; the stage fails only if the actor does not answer. */
  public CompletionStage<PartitionLeader.AppendReply> append(
      AppendOp op, boolean requireInSync, Duration timeout) {
    return append(op, requireInSync, Optional.empty(), timeout);
  }

  /**
   * Appends through the leader actor, an idempotent producer's batch held while it is ahead of its
   * producer's sequence ({@link PartitionLeader.InOrder}); the stage fails only if the actor does
   * not answer.
   */
  public CompletionStage<PartitionLeader.AppendReply> append(
      AppendOp op,
      boolean requireInSync,
      Optional<PartitionLeader.InOrder> inOrder,
      Duration timeout) {
    return AskPattern.ask(
        requireActor(),
        replyTo -> new PartitionLeader.Append(op, requireInSync, replyTo, inOrder),
        timeout,
        scheduler);
  }

  /** Answers once the high watermark passed {@code offset}, or when it no longer can here. */
  public CompletionStage<PartitionLeader.CommitReply> awaitCommitted(
      long offset, Duration timeout) {
    return AskPattern.ask(
        requireActor(),
        replyTo -> new PartitionLeader.AwaitCommit(offset, replyTo),
        timeout,
        scheduler);
  }

  @Override
  public boolean isLeader() {
    return assignment.leader() == localNode;
  }

  @Override
  public int leaderEpoch() {
    return assignment.leaderEpoch();
  }

  @Override
  public boolean isFollower(int replicaId) {
    return replicaId != localNode && assignment.replicas().contains(replicaId);
  }

  @Override
  public CompletionStage<Done> awaitChange(long logEndOffset, long highWatermark) {
    return changes.await(
        () ->
            !isLeader()
                || log.logEndOffset() > logEndOffset
                || log.highWatermark() != highWatermark);
  }

  @Override
  public void onFollowerProgress(int replicaId, long logEndOffset, long stagedBytes) {
    ActorRef<PartitionLeader.Command> leaderActor = actor;
    if (leaderActor != null) {
      leaderActor.tell(new PartitionLeader.FollowerReport(replicaId, logEndOffset));
    }
  }

  /**
   * Stops serving: the replica leads nothing any more, so open replication streams end. The node
   * stops the actor and closes the log.
   */
  public void close() {
    assignment = Assignment.NONE;
    changes.signal();
  }

  /** The role a leader actor that restarted after a failure resumes, if this replica leads. */
  private Optional<PartitionLeader.Lead> assignedLeadership() {
    Assignment a = assignment;
    return a.leader() == localNode
        ? Optional.of(
            new PartitionLeader.Lead(a.leaderEpoch(), a.replicas(), a.inSync(), a.version()))
        : Optional.empty();
  }

  private ActorRef<PartitionLeader.Command> requireActor() {
    ActorRef<PartitionLeader.Command> leaderActor = actor;
    if (leaderActor == null) {
      throw new IllegalStateException(
          partition + ": no leader actor attached; spawn or attach it before use");
    }
    return leaderActor;
  }
}
