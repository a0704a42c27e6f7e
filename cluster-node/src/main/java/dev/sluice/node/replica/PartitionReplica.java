package dev.sluice.node.replica;

import dev.sluice.log.PartitionLog;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.leader.AppendOp;
import dev.sluice.replication.leader.InSyncState;
import dev.sluice.replication.leader.LeaderView;
import dev.sluice.replication.leader.PartitionLeader;
import dev.sluice.replication.transfer.ChangeSignal;
import dev.sluice.replication.transfer.LeaderPartition;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One local replica of a partition: its log, the role the controller assigned it, and handles on
 * the actors that run that role. The leader side (appends, in-sync set, high watermark, acks) is
 * owned by a {@link PartitionLeader} actor; the follower side by the follower FSM, whose {@link
 * FollowerStatus} this shows. This class holds no mutable state of its own beyond published
 * snapshots.
 *
 * <p>Fencing: an assignment with an older leader epoch than the one applied is ignored, so a late
 * controller reply can never make a deposed node lead again. The leader actor is told of every
 * accepted assignment before the new role becomes visible here, so a produce request that sees this
 * replica as leader always reaches a leader actor that already leads.
 *
 * <p>Thread-safety: {@link #assign} is called by the replica manager only (and is synchronized);
 * everything else reads volatile snapshots or sends messages, and never blocks.
 */
public final class PartitionReplica implements LeaderPartition, AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(PartitionReplica.class);

  /** What the controller assigned this replica. */
  public record Assignment(
      int leader, int leaderEpoch, List<Integer> replicas, List<Integer> inSync, long version) {
    public static final Assignment NONE = new Assignment(-1, -1, List.of(), List.of(), -1);

    public Assignment {
      replicas = List.copyOf(replicas);
      inSync = List.copyOf(inSync);
    }
  }

  private final TopicPartition tp;
  private final int localNode;
  private final PartitionLog log;
  private final ChangeSignal changes = new ChangeSignal();

  private volatile Assignment assignment = Assignment.NONE;
  private volatile FollowerStatus followerStatus;
  private volatile LeaderView leaderView = LeaderView.NOT_LEADING;
  private volatile ActorRef<PartitionLeader.Command> leaderActor;
  private volatile Scheduler scheduler;

  public PartitionReplica(TopicPartition tp, int localNode, PartitionLog log) {
    this.tp = tp;
    this.localNode = localNode;
    this.log = log;
  }

  public TopicPartition topicPartition() {
    return tp;
  }

  public int localNode() {
    return localNode;
  }

  @Override
  public PartitionLog log() {
    return log;
  }

  /** The signal the leader actor raises after appends and high-watermark moves. */
  public ChangeSignal changes() {
    return changes;
  }

  /**
   * Connects the leader actor; must happen before the first {@link #assign}. {@code views} of the
   * actor should go to {@link #publishLeaderView}.
   */
  public void attachLeader(ActorRef<PartitionLeader.Command> actor, Scheduler actorScheduler) {
    this.scheduler = actorScheduler;
    this.leaderActor = actor;
  }

  /** Where the leader actor publishes its view. */
  public void publishLeaderView(LeaderView view) {
    this.leaderView = view;
  }

  @Override
  public boolean isLeader() {
    return assignment.leader() == localNode;
  }

  public int leader() {
    return assignment.leader();
  }

  @Override
  public int leaderEpoch() {
    return assignment.leaderEpoch();
  }

  public Assignment assignment() {
    return assignment;
  }

  public List<Integer> replicas() {
    return assignment.replicas();
  }

  /** The controller's in-sync set as last applied here. */
  public List<Integer> inSync() {
    return assignment.inSync();
  }

  /** What the leader actor last published; {@link LeaderView#NOT_LEADING} while following. */
  public LeaderView leaderView() {
    return leaderView;
  }

  /**
   * Applies the controller's view of the partition, unless it is older than the one applied.
   *
   * @return true if it was applied
   */
  public synchronized boolean assign(Assignment next) {
    Assignment current = assignment;
    if (next.equals(current)) {
      return false; // the same snapshot again (subscriptions repeat): nothing to tell anyone
    }
    if (next.leaderEpoch() < current.leaderEpoch()
        || (next.leaderEpoch() == current.leaderEpoch() && next.version() < current.version())) {
      logger.debug("{}: ignoring stale assignment {} (applied {})", tp, next, current);
      return false;
    }
    ActorRef<PartitionLeader.Command> actor = leaderActor;
    if (actor == null) {
      throw new IllegalStateException(tp + ": assigned before its leader actor was attached");
    }
    if (next.leader() == localNode) {
      actor.tell(
          new PartitionLeader.Lead(
              next.leaderEpoch(), next.replicas(), next.inSync(), next.version()));
    } else if (current.leader() == localNode || current == Assignment.NONE) {
      actor.tell(new PartitionLeader.Resign(next.leaderEpoch(), next.leader()));
    }
    assignment = next;
    changes.signal();
    return true;
  }

  /**
   * The leader role the controller assigned this replica, if it leads: what a leader actor that
   * restarted after a failure resumes from.
   */
  public Optional<PartitionLeader.Lead> assignedLeadership() {
    Assignment a = assignment;
    return a.leader() == localNode
        ? Optional.of(
            new PartitionLeader.Lead(a.leaderEpoch(), a.replicas(), a.inSync(), a.version()))
        : Optional.empty();
  }

  /** The follower FSM that writes this replica's log while it follows. */
  public void followerStatus(FollowerStatus status) {
    this.followerStatus = status;
  }

  /** The follower FSM's published status while following, else empty. */
  public Optional<FollowerStatus> followerStatus() {
    return isLeader() ? Optional.empty() : Optional.ofNullable(followerStatus);
  }

  /** Appends through the leader actor; the stage fails only if the actor does not answer. */
  public CompletionStage<PartitionLeader.AppendReply> append(
      AppendOp op, boolean requireInSync, Duration timeout) {
    return AskPattern.ask(
        requireLeaderActor(),
        replyTo -> new PartitionLeader.Append(op, requireInSync, replyTo),
        timeout,
        scheduler);
  }

  /** Answers once the high watermark passed {@code offset}, or when it no longer can here. */
  public CompletionStage<PartitionLeader.CommitReply> awaitCommitted(
      long offset, Duration timeout) {
    return AskPattern.ask(
        requireLeaderActor(),
        replyTo -> new PartitionLeader.AwaitCommit(offset, replyTo),
        timeout,
        scheduler);
  }

  private ActorRef<PartitionLeader.Command> requireLeaderActor() {
    ActorRef<PartitionLeader.Command> actor = leaderActor;
    if (actor == null) {
      throw new NotLeaderException(tp, assignment.leader());
    }
    return actor;
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
  public boolean isFollower(int replicaId) {
    return replicaId != localNode && assignment.replicas().contains(replicaId);
  }

  @Override
  public void onFollowerProgress(int replicaId, long logEndOffset, long stagedBytes) {
    ActorRef<PartitionLeader.Command> actor = leaderActor;
    if (actor != null) {
      actor.tell(new PartitionLeader.FollowerReport(replicaId, logEndOffset));
    }
  }

  /**
   * The first offset of the leader's current epoch; a new leader whose high watermark is still
   * below it may hold committed records above its high watermark that it cannot confirm yet.
   */
  public long epochStartOffset() {
    LeaderView v = leaderView;
    return v.leading() ? v.epochStartOffset() : -1;
  }

  /** Bytes from {@code offset} to the log end; -1 if the log cannot tell. Never scans the log. */
  public long bytesAfter(long offset) {
    try {
      return log.bytesAfter(offset);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  public ReplicaStatus status() {
    if (isLeader()) {
      LeaderView v = leaderView;
      Map<Integer, Long> followerLag = new HashMap<>();
      for (Map.Entry<Integer, InSyncState.FollowerPosition> f : v.followers().entrySet()) {
        long end = f.getValue().logEndOffset();
        followerLag.put(f.getKey(), end < 0 ? -1 : bytesAfter(end));
      }
      return ReplicaStatus.leader(
          localNode, log.logEndOffset(), log.highWatermark(), log.logStartOffset(), followerLag);
    }
    FollowerStatus fs = followerStatus;
    FollowerStatus.Snapshot s = fs == null ? null : fs.snapshot();
    return ReplicaStatus.follower(
        localNode, log.logEndOffset(), log.highWatermark(), log.logStartOffset(), s);
  }

  /** Stops accepting work; the node closes the log after its actors stopped. */
  @Override
  public void close() throws IOException {
    assignment = Assignment.NONE;
    changes.signal();
    log.close();
  }
}
