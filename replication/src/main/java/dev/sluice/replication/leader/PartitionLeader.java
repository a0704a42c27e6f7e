package dev.sluice.replication.leader;

import dev.sluice.log.AppendInfo;
import dev.sluice.log.FencedLeaderEpochException;
import dev.sluice.log.LogClosedException;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.RecordTooLargeException;
import dev.sluice.log.producer.ProducerError;
import dev.sluice.log.producer.ProducerStateException;
import dev.sluice.replication.BlockingIo;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The single writer of one partition's leader side: appends, follower positions, the in-sync set
 * and its proposals, the high watermark and the produce requests waiting for it. Everything that
 * changes these is a message, so stream threads (follower reports) and HTTP threads (appends) never
 * block and never take a lock; replies are messages too, so no caller's callback ever runs here.
 *
 * <p>Lives as long as the replica. Transitions:
 *
 * <pre>
 * idle     -> leading   Lead with an epoch at least the last one seen
 * leading  -> leading   Lead with the same epoch: a newer committed in-sync set; with a higher
 *                       epoch: a new term (positions forgotten, waiting acks kept: their records
 *                       are still in the log and commit in the new term)
 * leading  -> idle      Resign with an epoch at least the current one: waiting acks fail with
 *                       "no longer the leader" (the record may or may not be committed)
 * any      -> (same)    Lead or Resign with an older epoch: ignored (fencing)
 * </pre>
 *
 * <p>An idempotent producer's retry of a batch already in the log comes back from the append as a
 * duplicate ({@link AppendInfo#duplicate}): it is answered with {@link Appended} and the original
 * offsets, under the same flush rule as any append. A batch that breaks a producer sequence rule
 * ({@link ProducerStateException}) is refused with {@link Refusal#PRODUCER_STATE} and the rule.
 *
 * <p>While idle, appends are refused with {@link Refusal#NOT_LEADER} (with {@link
 * Refusal#STORAGE_ERROR} and the failure once the log failed) and reports are ignored. While
 * leading, an acks=all append is refused before writing when the committed in-sync set is smaller
 * than {@code min-in-sync-replicas}. The epoch is checked by the append itself: every batch is
 * stamped with the epoch this actor leads, and the actor leads only the epoch the node assigned.
 *
 * <p>Group commit: appends write without forcing (the log's forces are deferred to this actor for
 * its term) and are answered with {@link Appended} only once a {@link PartitionLog#flush} covers
 * them. At most one flush is in flight, on the blocking-IO executor and never on this actor's
 * thread; appends arriving while it runs form the next group, which the next flush covers. The
 * leader's own position in the high watermark is its log's {@link PartitionLog#flushedOffset}, so
 * an acks=all record is committed only once it is on disk here and on every in-sync follower (whose
 * reports are durable ends). With {@code flush = os} every written offset counts as flushed and no
 * flush runs. A failed flush fails the log: every waiting request is refused with {@link
 * Refusal#STORAGE_ERROR} (or {@link NotCommitted}) and the actor goes idle for good, until the node
 * restarts and recovers the log. A flush's answer carries its id: one started by an instance before
 * a restart is ignored by the next.
 *
 * <p>Runs on the blocking-IO dispatcher (appends and checkpoints write files). Publishes a {@link
 * LeaderView} and signals {@link ChangeSignal} after every change; the replication streams wait on
 * that signal. Measures each term's replication round trips ({@link RoundTrips}) and hands them to
 * the node's {@link LeaderCounters}. Supervised: a failure (a disk error while moving the high
 * watermark) restarts it idle after failing every waiter; the node's next assignment makes it lead
 * again.
 */
public final class PartitionLeader {

  public sealed interface Command {}

  /** Lead at {@code leaderEpoch} with this committed in-sync set ({@code version} orders sets). */
  public record Lead(int leaderEpoch, List<Integer> replicas, List<Integer> inSync, long version)
      implements Command {
    public Lead {
      replicas = List.copyOf(replicas);
      inSync = List.copyOf(inSync);
    }
  }

  /**
   * The partition's {@code min-in-sync-replicas} changed (its topic's setting); applies to the term
   * in progress and every later one. The setup's {@link Setup#minInSync} gives it after a restart.
   */
  public record MinInSyncChanged(int minInSyncReplicas) implements Command {}

  /** Stop leading: {@code newLeader} leads {@code leaderEpoch} (-1: nobody). */
  public record Resign(int leaderEpoch, int newLeader) implements Command {}

  /**
   * Append as leader; answered with {@link Appended} or {@link AppendRefused}. With {@code
   * inOrder}, an idempotent producer's batch that arrives ahead of the sequence the partition
   * expects is held rather than refused at once (see {@link InOrder}).
   */
  public record Append(
      AppendOp op, boolean requireInSync, ActorRef<AppendReply> replyTo, Optional<InOrder> inOrder)
      implements Command {
    public Append {
      Objects.requireNonNull(inOrder, "inOrder");
    }

    /** An append that is answered at once, whatever its producer's sequence. */
    public Append(AppendOp op, boolean requireInSync, ActorRef<AppendReply> replyTo) {
      this(op, requireInSync, replyTo, Optional.empty());
    }
  }

  /**
   * An idempotent producer's batch by producer id and base sequence. A producer with several
   * batches in flight sends them on separate connections, so a later batch can reach the leader
   * before an earlier one. Refused because its sequence is ahead of the expected one (or its
   * producer is not known here yet and it does not start at 0), such a batch is held for up to
   * {@code hold} and offered to the log again as soon as an append of the same producer succeeds;
   * when the hold ends it is offered once more and answered with whatever the log says then.
   * Nothing is written by a refused offer, so offering the same batch again is safe. At most {@link
   * #MAX_HELD_PER_PRODUCER} batches of a producer, {@link #MAX_HELD} in all and {@link
   * #MAX_HELD_BYTES} of their {@code heldBytes} are held; beyond that a batch is refused at once,
   * as without a hold.
   *
   * @param heldBytes the memory the batch keeps while it is held (its bytes, when the request holds
   *     them in memory; 0 when they wait in a file)
   */
  public record InOrder(long producerId, int baseSequence, Duration hold, long heldBytes) {
    public InOrder {
      Objects.requireNonNull(hold, "hold");
      if (baseSequence < 0) {
        throw new IllegalArgumentException(
            "an in-order append needs a base sequence >= 0, got " + baseSequence);
      }
      if (heldBytes < 0) {
        throw new IllegalArgumentException(
            "an in-order append's held bytes must be >= 0, got " + heldBytes);
      }
    }
  }

  /** Kafka's bound on a producer's batches in flight per partition, so none is held needlessly. */
  public static final int MAX_HELD_PER_PRODUCER = 5;

  /** Held batches of all producers of the partition: each may hold a request's body in memory. */
  public static final int MAX_HELD = 64;

  /**
   * The memory held batches of the partition may keep ({@link InOrder#heldBytes}): with
   * record-batch bodies of up to {@code sluice.api.inline-batch-bytes} (16 MiB by default) in
   * memory, {@link #MAX_HELD} alone would let one partition keep a gigabyte.
   */
  public static final long MAX_HELD_BYTES = 64L * 1024 * 1024;

  /** Answered once the high watermark passed {@code offset}, or when that can no longer happen. */
  public record AwaitCommit(long offset, ActorRef<CommitReply> replyTo) implements Command {}

  /** A follower's log ends at {@code logEndOffset} (handshake, progress or keep-alive). */
  public record FollowerReport(int replicaId, long logEndOffset) implements Command {}

  public sealed interface AppendReply {}

  /**
   * The batch is in the log at {@code info}'s offsets and a flush covers it. When {@code
   * info.duplicate()}, it was there before: an idempotent producer's retry, answered with the
   * original batch's offsets and nothing written.
   */
  public record Appended(AppendInfo info, int leaderEpoch) implements AppendReply {}

  /**
   * The append was refused for {@code reason}. {@code producer} says which idempotent producer rule
   * the batch broke; it is present exactly when {@code reason} is {@link Refusal#PRODUCER_STATE}.
   */
  public record AppendRefused(Refusal reason, String message, Optional<ProducerRejection> producer)
      implements AppendReply {
    /** A refusal that is not about an idempotent producer's sequence rules. */
    public AppendRefused(Refusal reason, String message) {
      this(reason, message, Optional.empty());
    }

    public AppendRefused {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(producer, "producer");
      if ((reason == Refusal.PRODUCER_STATE) != producer.isPresent()) {
        throw new IllegalArgumentException(
            "a refusal carries producer details exactly when its reason is PRODUCER_STATE; reason "
                + reason
                + ", producer "
                + producer);
      }
    }
  }

  /**
   * The idempotent producer rule a batch broke ({@link ProducerStateException}), for the API to
   * answer: the producer id it carried and the base sequence the partition expects next, when
   * known.
   */
  public record ProducerRejection(
      ProducerError error, long producerId, OptionalInt expectedSequence) {
    public ProducerRejection {
      Objects.requireNonNull(error, "error");
      Objects.requireNonNull(expectedSequence, "expectedSequence");
    }
  }

  /** Why an append was refused; the API maps each onto a status. */
  public enum Refusal {
    NOT_LEADER,
    /**
     * Written to the leader's log, but the leader stopped leading (or stopped) before a flush
     * covered it: never acknowledged, and it may or may not be kept. A retry can write it twice.
     */
    NOT_ACKNOWLEDGED,
    NOT_ENOUGH_REPLICAS,
    TOO_LARGE,
    INVALID,
    STORAGE_ERROR,
    /**
     * An idempotent producer's batch broke a sequence rule of the partition (details in {@link
     * AppendRefused#producer}); nothing was written.
     */
    PRODUCER_STATE
  }

  public sealed interface CommitReply {}

  public record Committed(long offset, long highWatermark) implements CommitReply {}

  /** The record may or may not end up committed: leadership moved, or the replica stopped. */
  public record NotCommitted(long offset, String reason) implements CommitReply {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** The hold of the batch of {@code producerId} at {@code baseSequence} ended; also its key. */
  private record HoldEnded(long producerId, int baseSequence) implements Command {}

  /** A batch held until its producer's earlier batches are appended, or {@code deadline}. */
  private record Held(Append append, long deadlineNanos) {}

  /**
   * The flush {@code flush} started by {@link #maybeFlush} made offsets below {@code durableEnd}
   * durable. Waiters are answered from the log's {@link PartitionLog#flushedOffset}, which is at
   * least this.
   */
  private record Flushed(long flush, long durableEnd) implements Command {}

  /** The flush {@code flush} started by {@link #maybeFlush} failed: the log is failed. */
  private record FlushFailed(long flush, Throwable cause) implements Command {}

  /**
   * Flush ids, unique in the process: a flush piped to self by an instance that has since been
   * restarted reaches the new instance, which must not take it for its own.
   */
  private static final AtomicLong FLUSH_IDS = new AtomicLong();

  /** An append waiting for a flush to cover it before it is answered. */
  private record FlushWaiter(ActorRef<AppendReply> replyTo, Appended reply) {}

  private record ProposalAnswered(
      int leaderEpoch, InSyncProposer.Decision decision, Throwable failure) implements Command {}

  /** Everything a partition leader needs; the log stays owned by the node. */
  public record Setup(
      PartitionId partition,
      PartitionLog log,
      LeaderSettings settings,
      InSyncProposer proposer,
      Consumer<LeaderView> views,
      ChangeSignal changes,
      LeaderCounters counters,
      Supplier<Optional<Lead>> assignedRole,
      LongSupplier nanoClock,
      IntSupplier minInSync,
      Executor flushExecutor) {

    /**
     * A setup whose log flushes run on the node's blocking-IO pool ({@link BlockingIo}), looked up
     * when the actor starts.
     */
    public Setup(
        PartitionId partition,
        PartitionLog log,
        LeaderSettings settings,
        InSyncProposer proposer,
        Consumer<LeaderView> views,
        ChangeSignal changes,
        LeaderCounters counters,
        Supplier<Optional<Lead>> assignedRole,
        LongSupplier nanoClock,
        IntSupplier minInSync) {
      this(
          partition,
          log,
          settings,
          proposer,
          views,
          changes,
          counters,
          assignedRole,
          nanoClock,
          minInSync,
          null);
    }

    /** A setup whose {@code min-in-sync-replicas} is always the one of {@code settings}. */
    public Setup(
        PartitionId partition,
        PartitionLog log,
        LeaderSettings settings,
        InSyncProposer proposer,
        Consumer<LeaderView> views,
        ChangeSignal changes,
        LeaderCounters counters,
        Supplier<Optional<Lead>> assignedRole,
        LongSupplier nanoClock) {
      this(
          partition,
          log,
          settings,
          proposer,
          views,
          changes,
          counters,
          assignedRole,
          nanoClock,
          settings::minInSyncReplicas,
          null);
    }

    public Setup {
      Objects.requireNonNull(minInSync, "minInSync");
      Objects.requireNonNull(partition, "partition");
      Objects.requireNonNull(assignedRole, "assignedRole");
      Objects.requireNonNull(counters, "counters");
      Objects.requireNonNull(log, "log");
      Objects.requireNonNull(proposer, "proposer");
      Objects.requireNonNull(views, "views");
      Objects.requireNonNull(changes, "changes");
      Objects.requireNonNull(nanoClock, "nanoClock");
    }
  }

  /** A term: the epoch led, its in-sync bookkeeping and its round-trip measurement. */
  private record Term(int epoch, InSyncState inSync, RoundTrips roundTrips) {}

  private final ActorContext<Command> context;
  private final Setup setup;
  private final PartitionLog log;
  private final NavigableMap<Long, List<ActorRef<CommitReply>>> waiting = new TreeMap<>();

  /** Appends by the log end offset after them, answered once the flushed offset reaches it. */
  private final NavigableMap<Long, List<FlushWaiter>> unflushed = new TreeMap<>();

  private final Executor flushExecutor;
  private boolean flushInFlight;

  /** The id of the flush in flight, when {@link #flushInFlight}. */
  private long flushId;

  private int lastEpochSeen = -1;

  /** Held batches ({@link InOrder}) by producer id, then base sequence. */
  private final Map<Long, TreeMap<Integer, Held>> held = new HashMap<>();

  private int heldCount;

  /** The sum of the held batches' {@link InOrder#heldBytes}. */
  private long heldBytes;

  private final TimerScheduler<Command> timers;

  public static Behavior<Command> create(Setup setup) {
    Duration min = Duration.ofMillis(200);
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                ctx ->
                    Behaviors.withTimers(
                        timers -> {
                          timers.startTimerWithFixedDelay(
                              Tick.INSTANCE, setup.settings().checkInterval());
                          // After a restart nobody repeats the role: resume the one assigned.
                          PartitionLeader leader = new PartitionLeader(ctx, setup, timers);
                          return setup
                              .assignedRole()
                              .get()
                              .map(leader::startTerm)
                              .orElseGet(leader::idle);
                        })))
        .onFailure(SupervisorStrategy.restartWithBackoff(min, Duration.ofSeconds(10), 0.2));
  }

  private PartitionLeader(
      ActorContext<Command> context, Setup setup, TimerScheduler<Command> timers) {
    this.context = context;
    this.timers = timers;
    this.setup = setup;
    this.log = setup.log();
    this.flushExecutor =
        setup.flushExecutor() != null
            ? setup.flushExecutor()
            : BlockingIo.executor(context.getSystem());
    setup.views().accept(LeaderView.NOT_LEADING);
  }

  // ---- states ----

  private Behavior<Command> idle() {
    return common()
        .onMessage(Lead.class, this::onLeadWhileIdle)
        .onMessage(Resign.class, m -> Behaviors.same())
        .onMessage(
            Append.class,
            m -> {
              m.replyTo().tell(refusalWhileIdle());
              return Behaviors.same();
            })
        .onMessage(
            AwaitCommit.class,
            m -> {
              m.replyTo()
                  .tell(
                      new NotCommitted(
                          m.offset(), "this node no longer leads " + setup.partition()));
              return Behaviors.same();
            })
        .onMessage(FollowerReport.class, m -> Behaviors.same())
        .onMessage(Tick.class, m -> Behaviors.same())
        .onMessage(HoldEnded.class, m -> Behaviors.same())
        .onMessage(ProposalAnswered.class, m -> Behaviors.same())
        .onMessage(MinInSyncChanged.class, m -> Behaviors.same())
        .onMessage(Flushed.class, m -> onFlushedWhileIdle(m.flush()))
        .onMessage(FlushFailed.class, m -> onFlushedWhileIdle(m.flush()))
        .build();
  }

  /**
   * A failed log keeps this node idle while the cluster may still name it leader: say why, instead
   * of pointing the client at a leadership change that did not happen.
   */
  private AppendRefused refusalWhileIdle() {
    return log.failure()
        .map(
            f ->
                new AppendRefused(
                    Refusal.STORAGE_ERROR,
                    "the log of "
                        + setup.partition()
                        + " on this node failed; nothing was written: "
                        + f.getMessage()))
        .orElseGet(
            () ->
                new AppendRefused(
                    Refusal.NOT_LEADER, "this node does not lead " + setup.partition()));
  }

  private Behavior<Command> leading(Term term) {
    return common()
        .onMessage(Lead.class, m -> onLead(term, m))
        .onMessage(Resign.class, m -> onResign(term, m))
        .onMessage(Append.class, m -> onAppend(term, m))
        .onMessage(AwaitCommit.class, this::onAwaitCommit)
        .onMessage(FollowerReport.class, m -> onReport(term, m))
        .onMessage(Tick.class, m -> onTick(term))
        .onMessage(HoldEnded.class, m -> onHoldEnded(term, m))
        .onMessage(ProposalAnswered.class, m -> onProposalAnswered(term, m))
        .onMessage(MinInSyncChanged.class, m -> onMinInSyncChanged(term, m))
        .onMessage(Flushed.class, m -> isMine(m.flush()) ? onFlushed(term) : Behaviors.same())
        .onMessage(
            FlushFailed.class, m -> isMine(m.flush()) ? onFlushFailed(term, m) : Behaviors.same())
        .build();
  }

  private BehaviorBuilder<Command> common() {
    return Behaviors.receive(Command.class)
        .onSignal(
            PostStop.class,
            s -> {
              log.deferForces(false);
              refuseHeld(Refusal.NOT_LEADER, "the replica of " + setup.partition() + " stopped");
              failUnflushed(
                  Refusal.NOT_ACKNOWLEDGED, "the replica of " + setup.partition() + " stopped");
              return failWaiters("the replica of " + setup.partition() + " stopped");
            })
        .onSignal(
            PreRestart.class,
            s -> {
              // The next instance turns it on again if it leads; until then appends force.
              log.deferForces(false);
              String why = "the leader of " + setup.partition() + " restarted after a failure";
              refuseHeld(Refusal.NOT_LEADER, why);
              failUnflushed(Refusal.NOT_ACKNOWLEDGED, why);
              return failWaiters(why);
            });
  }

  // ---- transitions ----

  private Behavior<Command> onLeadWhileIdle(Lead m) {
    if (m.leaderEpoch() < lastEpochSeen) {
      return Behaviors.same();
    }
    return startTerm(m);
  }

  private Behavior<Command> startTerm(Lead m) {
    lastEpochSeen = m.leaderEpoch();
    if (log.failure().isPresent()) {
      context
          .getLog()
          .error(
              "{}: not leading epoch {}: the log failed ({}); restart the node to recover it",
              setup.partition(),
              m.leaderEpoch(),
              log.failure().get().getMessage());
      return idle();
    }
    // Appends no longer force one by one; this actor's flushes cover them in groups.
    log.deferForces(true);
    InSyncState state =
        new InSyncState(
            setup.settings().localNode(),
            log.logEndOffset(),
            m.replicas(),
            m.inSync(),
            m.version(),
            setup.minInSync().getAsInt(),
            setup.settings().replicaLagTimeMax().toNanos(),
            now());
    context
        .getLog()
        .info(
            "{}: leading epoch {} from offset {} (high watermark {}), in-sync set {}",
            setup.partition(),
            m.leaderEpoch(),
            log.logEndOffset(),
            log.highWatermark(),
            m.inSync());
    List<Integer> followers =
        m.replicas().stream().filter(r -> r != setup.settings().localNode()).toList();
    Term term = new Term(m.leaderEpoch(), state, new RoundTrips(followers));
    setup.counters().leadershipStarted();
    publish(term);
    setup.changes().signal();
    return leading(term);
  }

  private Behavior<Command> onLead(Term term, Lead m) {
    if (m.leaderEpoch() < term.epoch()) {
      return Behaviors.same();
    }
    if (m.leaderEpoch() > term.epoch()) {
      return startTerm(m);
    }
    List<Integer> before = term.inSync().committed();
    term.inSync().onCommitted(m.inSync(), m.version());
    setup.counters().inSyncChanged(before, term.inSync().committed());
    return afterChange(term);
  }

  private Behavior<Command> onResign(Term term, Resign m) {
    if (m.leaderEpoch() < term.epoch()) {
      return Behaviors.same();
    }
    lastEpochSeen = m.leaderEpoch();
    context
        .getLog()
        .info(
            "{}: no longer leader (epoch {}, leader {}); {} acks=all requests fail",
            setup.partition(),
            m.leaderEpoch(),
            m.newLeader() < 0 ? "none" : m.newLeader(),
            waitingCount());
    failWaiters(
        "leadership of "
            + setup.partition()
            + " moved (epoch "
            + m.leaderEpoch()
            + ") before the record was committed; it may or may not be");
    failUnflushed(
        Refusal.NOT_ACKNOWLEDGED,
        "leadership of "
            + setup.partition()
            + " moved (epoch "
            + m.leaderEpoch()
            + ") before the batch was flushed; it may or may not be kept");
    refuseHeld(
        Refusal.NOT_LEADER,
        "leadership of " + setup.partition() + " moved (epoch " + m.leaderEpoch() + ")");
    // A follower's appends force again; a flush still running finishes on its own.
    log.deferForces(false);
    setup.views().accept(LeaderView.NOT_LEADING);
    setup.changes().signal();
    return idle();
  }

  // ---- handlers ----

  private Behavior<Command> onAppend(Term term, Append m) {
    long deadline = m.inOrder().isPresent() ? FRESH_HOLD : NO_HOLD;
    return offer(term, m, deadline) ? afterChange(term) : Behaviors.same();
  }

  /** A hold deadline that holds nothing: the append is answered at once. */
  private static final long NO_HOLD = Long.MIN_VALUE;

  /** A hold deadline that says: hold for the append's whole {@link InOrder#hold}, from now. */
  private static final long FRESH_HOLD = Long.MAX_VALUE;

  /**
   * Offers {@code m} to the log: appends it (then, for an idempotent producer, the batch of the
   * same producer held next, if any), holds it until {@code holdDeadline} ({@link #NO_HOLD}, {@link
   * #FRESH_HOLD} or a {@link #now} instant) when it arrived ahead of its producer's sequence, or
   * refuses it. Returns whether the log changed.
   */
  private boolean offer(Term term, Append m, long holdDeadline) {
    InSyncState state = term.inSync();
    if (m.requireInSync() && state.underMinInSync()) {
      m.replyTo()
          .tell(
              new AppendRefused(
                  Refusal.NOT_ENOUGH_REPLICAS,
                  "not enough in-sync replicas for "
                      + setup.partition()
                      + ": "
                      + state.committed().size()
                      + " in sync "
                      + state.committed()
                      + ", min-in-sync-replicas = "
                      + state.minInSync()));
      return false;
    }
    AppendInfo info;
    try {
      info = m.op().appendTo(log, term.epoch());
    } catch (ProducerStateException e) {
      if (holdDeadline != NO_HOLD && arrivedEarly(e, m.inOrder().get()) && hold(m, holdDeadline)) {
        return false;
      }
      m.replyTo()
          .tell(
              new AppendRefused(
                  Refusal.PRODUCER_STATE,
                  e.getMessage(),
                  Optional.of(
                      new ProducerRejection(e.error(), e.producerId(), e.expectedSequence()))));
      return false;
    } catch (RecordTooLargeException e) {
      m.replyTo().tell(new AppendRefused(Refusal.TOO_LARGE, e.getMessage()));
      return false;
    } catch (IllegalArgumentException e) {
      m.replyTo().tell(new AppendRefused(Refusal.INVALID, e.getMessage()));
      return false;
    } catch (LogClosedException | FencedLeaderEpochException e) {
      // The replica is stopping, or another node leads a newer epoch: not a storage failure.
      m.replyTo().tell(new AppendRefused(Refusal.NOT_LEADER, e.getMessage()));
      return false;
    } catch (IOException | RuntimeException e) {
      context.getLog().error("{}: append failed: {}", setup.partition(), e.toString(), e);
      m.replyTo()
          .tell(
              new AppendRefused(
                  Refusal.STORAGE_ERROR,
                  "append to " + setup.partition() + " failed: " + e.getMessage()));
      return false;
    }
    Appended reply = new Appended(info, term.epoch());
    // A duplicate is answered as its original would be: once a flush covers the original's offsets
    // (usually long done), so a retry is never acknowledged before the first attempt could be.
    if (log.flushedOffset() > info.lastOffset()) {
      m.replyTo().tell(reply); // flush = os, or a duplicate of a flushed batch: nothing to wait for
    } else {
      unflushed
          .computeIfAbsent(info.lastOffset() + 1, end -> new ArrayList<>())
          .add(new FlushWaiter(m.replyTo(), reply));
    }
    if (!info.duplicate()) {
      // A duplicate wrote nothing: no new log end for the round trips to time or the streams to
      // send.
      term.roundTrips().appended(info.lastOffset() + 1, now());
      setup.changes().signal(); // the log grew: the replication streams send it (unforced is fine)
    }
    maybeFlush();
    if (!info.duplicate() && m.inOrder().isPresent()) {
      releaseNextHeld(term, m.inOrder().get().producerId());
    }
    return true;
  }

  /** Whether {@code e} refused a batch only because an earlier one has not been appended yet. */
  static boolean arrivedEarly(ProducerStateException e, InOrder batch) {
    return switch (e.error()) {
      // Ahead of the expected sequence: the batches between are in flight. (Across the wrap from
      // Integer.MAX_VALUE to 0 this says no: refused at once.)
      case OUT_OF_ORDER_SEQUENCE ->
          e.expectedSequence().isPresent()
              && batch.baseSequence() > e.expectedSequence().getAsInt();
      // Not the producer's first batch here: the one from sequence 0 may be in flight.
      case UNKNOWN_PRODUCER_ID -> batch.baseSequence() > 0;
      case PRODUCER_FENCED -> false;
    };
  }

  /** Holds {@code m} until {@code deadline}; false when the bounds say it must be refused now. */
  private boolean hold(Append m, long holdDeadline) {
    InOrder order = m.inOrder().get();
    // A first hold runs its whole length; one held again after a release keeps its deadline.
    long deadline = holdDeadline == FRESH_HOLD ? now() + order.hold().toNanos() : holdDeadline;
    Duration timer = holdDeadline == FRESH_HOLD ? order.hold() : Duration.ofNanos(deadline - now());
    TreeMap<Integer, Held> mine = held.get(order.producerId());
    int ofProducer = mine == null ? 0 : mine.size();
    boolean alreadyHeld = mine != null && mine.containsKey(order.baseSequence());
    if (alreadyHeld
        || ofProducer >= MAX_HELD_PER_PRODUCER
        || heldCount >= MAX_HELD
        || heldBytes + order.heldBytes() > MAX_HELD_BYTES
        || deadline <= now()) {
      return false;
    }
    held.computeIfAbsent(order.producerId(), id -> new TreeMap<>())
        .put(order.baseSequence(), new Held(m, deadline));
    heldCount++;
    heldBytes += order.heldBytes();
    timers.startSingleTimer(new HoldEnded(order.producerId(), order.baseSequence()), timer);
    return true;
  }

  /**
   * Offers the lowest held batch of {@code producerId} again, now that an append of that producer
   * succeeded; if it is appended, this runs again for the one after it. One still ahead is held
   * again until its own deadline.
   */
  private void releaseNextHeld(Term term, long producerId) {
    TreeMap<Integer, Held> mine = held.get(producerId);
    if (mine == null) {
      return;
    }
    Map.Entry<Integer, Held> next = mine.pollFirstEntry();
    if (mine.isEmpty()) {
      held.remove(producerId);
    }
    unheld(next.getValue());
    timers.cancel(new HoldEnded(producerId, next.getKey()));
    offer(term, next.getValue().append(), next.getValue().deadlineNanos());
  }

  /** A held batch's time is up: offered once more and answered, whatever the log says now. */
  private Behavior<Command> onHoldEnded(Term term, HoldEnded m) {
    TreeMap<Integer, Held> mine = held.get(m.producerId());
    Held h = mine == null ? null : mine.remove(m.baseSequence());
    if (h == null) {
      return Behaviors.same(); // released before its timer fired
    }
    if (mine.isEmpty()) {
      held.remove(m.producerId());
    }
    unheld(h);
    return offer(term, h.append(), NO_HOLD) ? afterChange(term) : Behaviors.same();
  }

  /** Refuses every held batch (nothing of them was written): the term or the replica ended. */
  private void refuseHeld(Refusal reason, String why) {
    for (TreeMap<Integer, Held> mine : held.values()) {
      for (Held h : mine.values()) {
        h.append().replyTo().tell(new AppendRefused(reason, why + "; the batch was not written"));
      }
    }
    held.clear();
    heldCount = 0;
    heldBytes = 0;
  }

  /** Counts {@code h} out of the bounds once it left {@link #held}. */
  private void unheld(Held h) {
    heldCount--;
    heldBytes -= h.append().inOrder().get().heldBytes();
  }

  /**
   * Starts a flush on the blocking-IO executor if none is running and something is unflushed. It
   * covers everything written before it starts; whatever is appended meanwhile waits for the next.
   */
  private void maybeFlush() {
    if (flushInFlight || log.flushedOffset() >= log.logEndOffset()) {
      return;
    }
    flushInFlight = true;
    long id = FLUSH_IDS.incrementAndGet();
    flushId = id;
    CompletableFuture<Long> flush =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return log.flush();
              } catch (IOException e) {
                throw new CompletionException(e);
              }
            },
            flushExecutor);
    context.pipeToSelf(
        flush,
        (end, failure) ->
            failure == null
                ? new Flushed(id, end)
                : new FlushFailed(
                    id, failure instanceof CompletionException c ? c.getCause() : failure));
  }

  private Behavior<Command> onFlushed(Term term) {
    flushInFlight = false;
    long durable = log.flushedOffset();
    Map<Long, List<FlushWaiter>> done = unflushed.headMap(durable, true);
    for (List<FlushWaiter> ws : done.values()) {
      for (FlushWaiter w : ws) {
        w.replyTo().tell(w.reply());
      }
    }
    done.clear();
    maybeFlush();
    return afterChange(term); // the leader's own durable position moved
  }

  /** True if {@code flush} is the one in flight, not one of a previous instance of this actor. */
  private boolean isMine(long flush) {
    return flushInFlight && flush == flushId;
  }

  private Behavior<Command> onFlushedWhileIdle(long flush) {
    if (isMine(flush)) {
      flushInFlight = false; // its waiters were answered when the term ended
    }
    return Behaviors.same();
  }

  private Behavior<Command> onFlushFailed(Term term, FlushFailed m) {
    flushInFlight = false;
    String cause =
        log.failure().map(Throwable::getMessage).orElseGet(() -> String.valueOf(m.cause()));
    context
        .getLog()
        .error(
            "{}: flush failed, no longer leading epoch {}; {} appends and {} acks=all requests fail:"
                + " {}",
            setup.partition(),
            term.epoch(),
            unflushed.values().stream().mapToInt(List::size).sum(),
            waitingCount(),
            cause,
            m.cause());
    for (List<FlushWaiter> ws : unflushed.values()) {
      for (FlushWaiter w : ws) {
        w.replyTo()
            .tell(
                new AppendRefused(
                    Refusal.STORAGE_ERROR,
                    writtenAt(w.reply().info()) + "not acknowledged: " + cause));
      }
    }
    unflushed.clear();
    refuseHeld(Refusal.STORAGE_ERROR, "the log of " + setup.partition() + " failed: " + cause);
    for (Map.Entry<Long, List<ActorRef<CommitReply>>> e : waiting.entrySet()) {
      for (ActorRef<CommitReply> r : e.getValue()) {
        r.tell(
            new NotCommitted(
                e.getKey(), "written at offset " + e.getKey() + " but not committed: " + cause));
      }
    }
    waiting.clear();
    setup.views().accept(LeaderView.NOT_LEADING);
    setup.changes().signal();
    return idle();
  }

  private static String writtenAt(AppendInfo info) {
    return "written at offset "
        + info.baseOffset()
        + (info.lastOffset() == info.baseOffset() ? "" : " to " + info.lastOffset())
        + " but ";
  }

  /** Answers every append still waiting for a flush with {@code reason}. */
  private void failUnflushed(Refusal reason, String why) {
    for (List<FlushWaiter> ws : unflushed.values()) {
      for (FlushWaiter w : ws) {
        w.replyTo().tell(new AppendRefused(reason, writtenAt(w.reply().info()) + why));
      }
    }
    unflushed.clear();
  }

  private Behavior<Command> onMinInSyncChanged(Term term, MinInSyncChanged m) {
    if (term.inSync().minInSync() == m.minInSyncReplicas()) {
      return Behaviors.same();
    }
    context
        .getLog()
        .info(
            "{}: min-in-sync-replicas now {} (was {})",
            setup.partition(),
            m.minInSyncReplicas(),
            term.inSync().minInSync());
    term.inSync().minInSync(m.minInSyncReplicas());
    return afterChange(term);
  }

  private Behavior<Command> onAwaitCommit(AwaitCommit m) {
    long hw = log.highWatermark();
    if (hw > m.offset()) {
      m.replyTo().tell(new Committed(m.offset(), hw));
    } else {
      waiting.computeIfAbsent(m.offset(), o -> new ArrayList<>()).add(m.replyTo());
    }
    return Behaviors.same();
  }

  private Behavior<Command> onReport(Term term, FollowerReport m) {
    long leaderEnd = log.logEndOffset();
    if (m.logEndOffset() > leaderEnd) {
      // The transfer server closes such a connection; this holds whatever the source of a report.
      context
          .getLog()
          .warn(
              "{}: ignoring a position report of node {}: log end offset {} is above this leader's"
                  + " log end offset {}",
              setup.partition(),
              m.replicaId(),
              m.logEndOffset(),
              leaderEnd);
      return Behaviors.same();
    }
    boolean member = term.inSync().maximal().contains(m.replicaId());
    if (!term.inSync().onReport(m.replicaId(), m.logEndOffset(), leaderEnd, now())) {
      context
          .getLog()
          .warn(
              "{}: ignoring a position report of node {}: not a follower of this partition",
              setup.partition(),
              m.replicaId());
      return Behaviors.same();
    }
    term.roundTrips()
        .reported(m.replicaId(), m.logEndOffset(), now(), member, setup.counters()::roundTrip);
    if (!term.inSync().maximal().contains(m.replicaId())) {
      maybePropose(term); // a replica that caught up joins without waiting for the tick
    }
    return afterChange(term);
  }

  private Behavior<Command> onTick(Term term) {
    try {
      // The high watermark is written on every move and forced at most once per interval; an
      // idle partition's last move is forced here.
      log.checkpointHighWatermarkIfDue();
    } catch (IOException e) {
      throw new UncheckedIOException(
          setup.partition() + ": cannot force the high watermark checkpoint", e);
    }
    maybePropose(term);
    publish(term); // caught-up ages move with time
    return Behaviors.same();
  }

  private Behavior<Command> onProposalAnswered(Term term, ProposalAnswered m) {
    if (m.leaderEpoch() != term.epoch()) {
      return Behaviors.same();
    }
    InSyncState state = term.inSync();
    if (m.decision() instanceof InSyncProposer.Accepted a) {
      List<Integer> before = state.committed();
      state.onProposalAccepted(a.inSync(), a.version());
      setup.counters().inSyncChanged(before, state.committed());
    } else if (m.decision() instanceof InSyncProposer.Superseded sup) {
      context
          .getLog()
          .info(
              "{}: in-sync change superseded: the set is now {} (version {})",
              setup.partition(),
              sup.inSync(),
              sup.version());
      List<Integer> before = state.committed();
      state.onProposalRefused();
      state.onCommitted(sup.inSync(), sup.version());
      setup.counters().inSyncChanged(before, state.committed());
    } else if (m.decision() instanceof InSyncProposer.Refused r) {
      context
          .getLog()
          .warn("{}: in-sync change refused by the controller: {}", setup.partition(), r.reason());
      state.onProposalRefused();
    } else {
      context
          .getLog()
          .warn(
              "{}: no answer to the in-sync change {} ({}); it stays counted and is sent again",
              setup.partition(),
              state.proposed().orElse(List.of()),
              m.failure() == null ? "no reply" : m.failure().toString());
      state.onProposalLost();
    }
    return afterChange(term);
  }

  // ---- effects ----

  private void maybePropose(Term term) {
    InSyncState state = term.inSync();
    long baseVersion = state.committedVersion();
    state
        .nextProposal(log.highWatermark(), now())
        .ifPresent(
            proposal -> {
              context
                  .getLog()
                  .info(
                      "{}: proposing in-sync set {} (committed {}) at epoch {}",
                      setup.partition(),
                      proposal,
                      state.committed(),
                      term.epoch());
              int epoch = term.epoch();
              long timeoutMs = setup.settings().proposalTimeout().toMillis();
              CompletableFuture<InSyncProposer.Decision> answer =
                  setup
                      .proposer()
                      .propose(epoch, baseVersion, proposal)
                      .toCompletableFuture()
                      .orTimeout(timeoutMs, TimeUnit.MILLISECONDS);
              context.pipeToSelf(answer, (d, failure) -> new ProposalAnswered(epoch, d, failure));
            });
  }

  /**
   * Moves the high watermark as far as the rules allow, answers waiters, publishes. The replication
   * streams are woken only when the high watermark moved: a report that moves nothing (a keep-alive
   * of an idle partition) costs no wake-up of every connection.
   */
  private Behavior<Command> afterChange(Term term) {
    long current = log.highWatermark();
    // The leader's own position is what is on its disk, like every follower's report.
    long next = term.inSync().highWatermark(log.flushedOffset(), current);
    if (next > current) {
      try {
        log.updateHighWatermark(next);
      } catch (IOException e) {
        throw new UncheckedIOException(
            setup.partition() + ": cannot checkpoint high watermark " + next, e);
      }
      completeWaiters(log.highWatermark());
      setup.changes().signal();
    }
    publish(term);
    return Behaviors.same();
  }

  private void completeWaiters(long highWatermark) {
    Map<Long, List<ActorRef<CommitReply>>> done = waiting.headMap(highWatermark, false);
    for (Map.Entry<Long, List<ActorRef<CommitReply>>> e : done.entrySet()) {
      for (ActorRef<CommitReply> r : e.getValue()) {
        r.tell(new Committed(e.getKey(), highWatermark));
      }
    }
    done.clear();
  }

  private Behavior<Command> failWaiters(String reason) {
    for (Map.Entry<Long, List<ActorRef<CommitReply>>> e : waiting.entrySet()) {
      for (ActorRef<CommitReply> r : e.getValue()) {
        r.tell(new NotCommitted(e.getKey(), reason));
      }
    }
    waiting.clear();
    return Behaviors.same();
  }

  private int waitingCount() {
    return waiting.values().stream().mapToInt(List::size).sum();
  }

  private void publish(Term term) {
    InSyncState s = term.inSync();
    setup
        .views()
        .accept(
            new LeaderView(
                true,
                term.epoch(),
                s.epochStartOffset(),
                s.committed(),
                s.maximal(),
                s.positions(),
                s.underMinInSync()));
  }

  private long now() {
    return setup.nanoClock().getAsLong();
  }
}
