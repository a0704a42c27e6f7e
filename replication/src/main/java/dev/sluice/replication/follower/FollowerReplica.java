package dev.sluice.replication.follower;

import dev.sluice.config.BackoffSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.BlockingIo;
import dev.sluice.replication.Failures;
import dev.sluice.replication.follower.FollowerData.Attempt;
import dev.sluice.replication.follower.FollowerData.Data;
import dev.sluice.replication.follower.FollowerData.Leader;
import dev.sluice.replication.follower.FollowerData.Memory;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.transfer.EpochDivergence;
import dev.sluice.replication.transfer.FollowerEvent;
import dev.sluice.replication.transfer.FollowerSession;
import dev.sluice.replication.transfer.FollowerTransfer.ConnectionDroppedException;
import dev.sluice.replication.transfer.TransferSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The follower role of one partition replica: the catch-up state machine that keeps the local log a
 * copy of the leader's. Each connection attempt is one {@link FollowerSetup.AttemptFactory} stream
 * (by default {@code FollowerTransfer.attempt}) whose handshake is recomputed from the log and the
 * staging area, so every attempt resumes from what is durably held, including the staged bytes of
 * an oversized batch; this actor decides when to connect, how long to back off and what to publish
 * in the {@link FollowerStatus}.
 *
 * <p>Transitions between the {@link FollowerState}s, and what triggers them:
 *
 * <pre>
 * LOADING     -> CONNECTING   at start (and after a supervision restart): the open log gives the
 *                             start position
 * CONNECTING  -> BACKING_OFF  the leader's node has no known replication address
 * CONNECTING  -> CATCHING_UP  LeaderStatusReceived with the leader's end ahead of ours, or the
 *                             first Appended / ChunkStaged
 * CONNECTING  -> IN_SYNC      LeaderStatusReceived with the leader's end equal to ours
 * CONNECTING  -> TRUNCATING   DivergenceReported: the leader's epoch history parts from ours
 *                             (KIP-279); the attempt is dropped and the log is cut on the
 *                             blocking-IO dispatcher (see EpochDivergence)
 * TRUNCATING  -> CONNECTING   the cut is done: a new handshake at once, not a failure (each round
 *                             removes at least one epoch, so this ends)
 * TRUNCATING  -> BACKING_OFF  the cut failed, or the answer did not fit this log (nothing to cut)
 * CATCHING_UP -> IN_SYNC      Appended or LeaderStatusReceived: our end reached the leader's
 * IN_SYNC     -> CATCHING_UP  LeaderStatusReceived with the leader's end ahead; ChunkStaged
 * CONNECTING,
 * CATCHING_UP,
 * IN_SYNC     -> BACKING_OFF  the attempt failed, or the leader closed it
 * BACKING_OFF -> CONNECTING   the backoff timer fires
 * any         -> CONNECTING   LeaderChanged to a newer leader or epoch (the current connection or
 *                             the pending timer is dropped, the backoff starts again from min);
 *                             RestartTransfer (from the stall watchdog: dropped, reconnected at
 *                             once without waiting, the failure count kept)
 * any         -> stopped      Stop (becoming leader, replica removed)
 * </pre>
 *
 * <p>{@code CONNECTING}, {@code CATCHING_UP} and {@code IN_SYNC} are phases of one running attempt:
 * they handle the same messages in the same way and share one behaviour method ({@code
 * replicating}); they differ only in what they publish, and entering {@code IN_SYNC} clears the
 * last error and the backoff. {@code LOADING}, {@code TRUNCATING} and {@code BACKING_OFF} each have
 * their own.
 *
 * <p>Backoff: the n-th consecutive failure waits {@code min(max, min * 2^(n-1)) * (1 + random *
 * factor)} ({@link Backoff}); the count restarts from min after an attempt that made progress and
 * lasted {@code max} or reached {@code IN_SYNC} (see {@link Backoff#resets}).
 *
 * <p>Frame size: every handshake asks the leader for frames of at most {@link
 * TransferSettings#limitedFrameBytes peer-max-bytes / divisor} ({@code Hello.maxFrameBytes}); the
 * divisor is 1 until the watchdog sends {@code LimitFrames}. A new divisor applies from the next
 * attempt: the watchdog follows it with {@code RestartTransfer}, and restoring full frames does not
 * drop a connection that works.
 *
 * <p>Record bytes never reach this actor: attempt events carry offsets and counts. An unexpected
 * exception restarts the actor with backoff; the restarted actor recomputes everything from the
 * log, and remembers the newest leader it was told about. The log belongs to the node: the follower
 * writes to it but never closes it; once this actor has terminated, no frame of its attempts
 * touches the log any more (the session it owns is closed in {@code PostStop}).
 *
 * <p>Thread-safety: everything is confined to the actor, except the current leader epoch and the
 * frame limit divisor (both volatile), which the session reads on the blocking-IO dispatcher when
 * it computes a handshake.
 */
public final class FollowerReplica {

  /** What the node and the watchdog tell a follower. */
  public sealed interface Command {}

  /** The controller assigned a new leader or epoch: reconnect to it. */
  public record LeaderChanged(int leaderNode, int leaderEpoch) implements Command {}

  /** The stall watchdog's remedy: drop the connection and start a fresh attempt now. */
  public record RestartTransfer(String reason) implements Command {}

  /**
   * Watchdog escalation: ask for frames of at most peer-max-bytes / divisor (never below {@link
   * TransferSettings#MIN_LIMITED_FRAME_BYTES}) from the next connection on; 1 restores.
   */
  public record LimitFrames(int divisor) implements Command {}

  /** Stop the follower role (the replica became leader or was removed). */
  public record Stop() implements Command {}

  /** An event of attempt {@code attempt}; events of an attempt already dropped are ignored. */
  private record AttemptEvent(int attempt, FollowerEvent event) implements Command {}

  /** The leader closed the connection of attempt {@code attempt}. */
  private record ConnectionClosed(int attempt) implements Command {}

  /** Attempt {@code attempt} failed. */
  private record ConnectionFailed(int attempt, String error) implements Command {}

  /** The cut of a diverged log finished ({@code error} null) or failed. */
  private record TruncationDone(
      Frame.Diverged answer, FollowerSession.Truncation result, Throwable error)
      implements Command {}

  private enum BackoffElapsed implements Command {
    INSTANCE
  }

  private enum TimerKey {
    BACKOFF
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final FollowerSetup setup;
  private final FollowerStatus status;
  private final Backoff backoff;
  private final Memory memory;
  private final FollowerSession session;

  /** The follower of {@code setup.partition()}; supervised: restarts with backoff on a bug. */
  public static Behavior<Command> create(FollowerSetup setup) {
    BackoffSettings b = setup.settings().backoff();
    return Behaviors.setup(
        outer -> {
          Memory memory = new Memory(new Leader(setup.leaderNode(), setup.leaderEpoch()));
          return Behaviors.supervise(
                  Behaviors.<Command>setup(
                      context ->
                          Behaviors.withTimers(
                              timers ->
                                  new FollowerReplica(context, timers, setup, memory).loading())))
              .onFailure(
                  Exception.class,
                  SupervisorStrategy.restartWithBackoff(b.min(), b.max(), b.randomFactor()));
        });
  }

  private FollowerReplica(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      FollowerSetup setup,
      Memory memory) {
    this.context = context;
    this.timers = timers;
    this.setup = setup;
    this.status = setup.status();
    this.backoff = new Backoff(setup.settings().backoff(), setup.random());
    this.memory = memory;
    TransferSettings settings = setup.settings();
    this.session =
        new FollowerSession(
            setup.replicaId(),
            setup.partition(),
            setup.log(),
            setup.topicId(),
            () -> memory.leader.epoch(),
            () -> settings.limitedFrameBytes(memory.frameLimitDivisor));
  }

  // ---- states ----

  private Behavior<Command> loading() {
    enter(FollowerState.LOADING);
    PartitionLog log = setup.log();
    long end = log.logEndOffset();
    long hw = Math.min(log.highWatermark(), end);
    status.offsets(end, hw);
    status.stagedBytes(0);
    // A (re)started follower gets a whole stall timeout before the watchdog calls it stuck.
    status.progressAt(now());
    return connect(new Data(memory.leader, end, -1, hw, 0));
  }

  /** {@code CONNECTING}, {@code CATCHING_UP} or {@code IN_SYNC}: {@code attempt} is running. */
  private Behavior<Command> replicating(FollowerState phase, Data data, Attempt attempt) {
    enter(phase);
    return common(data, attempt)
        .onMessage(AttemptEvent.class, m -> onEvent(data, attempt, m.event()))
        .onMessage(ConnectionFailed.class, m -> onConnectionEnded(data, attempt, m.error()))
        .onMessage(ConnectionClosed.class, m -> onConnectionEnded(data, attempt, closedBy(data)))
        .build();
  }

  private Behavior<Command> truncating(Data data) {
    enter(FollowerState.TRUNCATING);
    return withCommon(
            Behaviors.receive(Command.class)
                .onMessage(TruncationDone.class, m -> onTruncationDone(data, m)),
            data,
            null)
        .build();
  }

  private Behavior<Command> backingOff(Data data) {
    enter(FollowerState.BACKING_OFF);
    return common(data, null).onMessage(BackoffElapsed.class, m -> connect(data)).build();
  }

  // ---- transitions with effects ----

  /** Starts an attempt to the current leader: the entry into {@code CONNECTING}. */
  private Behavior<Command> connect(Data data) {
    enter(FollowerState.CONNECTING);
    int leaderNode = data.leader().node();
    Optional<InetSocketAddress> address = setup.replicationAddressOfNode().apply(leaderNode);
    if (address.isEmpty()) {
      return backOff(data, "leader node " + leaderNode + " has no known replication address");
    }
    int id = ++memory.lastAttemptId;
    status.attemptStarted();
    ActorRef<Command> self = context.getSelf();
    Pair<UniqueKillSwitch, CompletionStage<Done>> running;
    try {
      running =
          setup
              .attempts()
              .open(context.getSystem(), session, leaderNode, address.get(), setup.settings())
              .viaMat(KillSwitches.single(), Keep.right())
              .toMat(Sink.foreach(event -> self.tell(new AttemptEvent(id, event))), Keep.both())
              .run(context.getSystem());
    } catch (RuntimeException e) {
      return backOff(data, Failures.describe(e));
    }
    context.pipeToSelf(
        running.second(),
        (done, error) ->
            error == null
                ? new ConnectionClosed(id)
                : new ConnectionFailed(id, Failures.describe(error)));
    return replicating(
        FollowerState.CONNECTING,
        data,
        new Attempt(id, running.first(), now(), false, false, false));
  }

  /** Counts a failure and waits: the entry into {@code BACKING_OFF}. */
  private Behavior<Command> backOff(Data data, String error) {
    Data failed = data.withFailures(data.failures() + 1);
    Duration delay = backoff.delay(failed.failures());
    status.lastError(error);
    status.backoff(delay);
    context
        .getLog()
        .info(
            "{}: attempt to leader node {} ended ({}); failure {}, next attempt in {} ms",
            setup.partition(),
            data.leader().node(),
            error,
            failed.failures(),
            delay.toMillis());
    // Started before BACKING_OFF is published: whoever sees that state can rely on the timer.
    timers.startSingleTimer(TimerKey.BACKOFF, BackoffElapsed.INSTANCE, delay);
    return backingOff(failed);
  }

  /** The next phase once the offsets are known; entering {@code IN_SYNC} clears past trouble. */
  private Behavior<Command> settle(Data data, Attempt attempt) {
    if (!data.atLeaderEnd()) {
      return replicating(FollowerState.CATCHING_UP, data, attempt);
    }
    if (status.state() != FollowerState.IN_SYNC) {
      // Healthy again: an error of an earlier attempt would read as a current problem. Cleared
      // before the state is published, so whoever sees IN_SYNC sees no stale backoff.
      status.backoff(Duration.ZERO);
      status.lastError("");
    }
    return replicating(FollowerState.IN_SYNC, data, attempt.withReachedInSync());
  }

  // ---- handlers ----

  /** Messages every state handles alike; {@code attempt} is null while backing off. */
  private BehaviorBuilder<Command> common(Data data, Attempt attempt) {
    return withCommon(Behaviors.receive(Command.class), data, attempt);
  }

  /** Adds the common handlers to {@code builder}, after the state's own (first match wins). */
  private BehaviorBuilder<Command> withCommon(
      BehaviorBuilder<Command> builder, Data data, Attempt attempt) {
    return builder
        .onMessage(AttemptEvent.class, m -> !isCurrent(attempt, m.attempt()), m -> Behaviors.same())
        .onMessage(
            ConnectionClosed.class, m -> !isCurrent(attempt, m.attempt()), m -> Behaviors.same())
        .onMessage(
            ConnectionFailed.class, m -> !isCurrent(attempt, m.attempt()), m -> Behaviors.same())
        .onMessage(LeaderChanged.class, m -> onLeaderChanged(data, attempt, m))
        .onMessage(RestartTransfer.class, m -> onRestartTransfer(data, attempt, m))
        .onMessage(LimitFrames.class, this::onLimitFrames)
        .onMessage(TruncationDone.class, this::onTruncationDoneElsewhere)
        .onMessage(Stop.class, m -> Behaviors.stopped())
        .onSignal(PostStop.class, s -> release(attempt))
        .onSignal(PreRestart.class, s -> release(attempt));
  }

  private Behavior<Command> onEvent(Data data, Attempt attempt, FollowerEvent event) {
    if (event instanceof FollowerEvent.Appended || event instanceof FollowerEvent.ChunkStaged) {
      status.recordBytesArrived();
    } else if (!(event instanceof FollowerEvent.Connecting)) {
      status.frameArrived();
    }
    if (event instanceof FollowerEvent.Connecting c) {
      return onHandshakeSent(data, attempt, c);
    } else if (event instanceof FollowerEvent.LeaderStatusReceived s) {
      return onLeaderStatus(data, attempt, s);
    } else if (event instanceof FollowerEvent.Appended a) {
      return onAppended(data, attempt, a);
    } else if (event instanceof FollowerEvent.ChunkStaged c) {
      return onChunkStaged(data, attempt, c);
    } else if (event instanceof FollowerEvent.DivergenceReported d) {
      return onDivergenceReported(data, attempt, d);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onHandshakeSent(
      Data data, Attempt attempt, FollowerEvent.Connecting c) {
    Data next = data.withLogEnd(c.hello().logEndOffset());
    status.offsets(next.logEndOffset(), next.highWatermark());
    status.stagedBytes(c.hello().staged().stagedBytes());
    return replicating(FollowerState.CONNECTING, next, attempt);
  }

  private Behavior<Command> onLeaderStatus(
      Data data, Attempt attempt, FollowerEvent.LeaderStatusReceived s) {
    Data next = data.withLeaderStatus(s.leaderLogEndOffset(), s.highWatermark());
    status.leaderLogEndOffset(s.leaderLogEndOffset());
    status.offsets(next.logEndOffset(), next.highWatermark());
    return settle(next, attempt);
  }

  private Behavior<Command> onAppended(Data data, Attempt attempt, FollowerEvent.Appended a) {
    if (!attempt.completingOversized()) {
      status.received(a.bytes(), 0); // the chunks of an oversized batch were counted as staged
    }
    status.stagedBytes(0);
    Data next = data.withAppendedTo(a.logEndOffset());
    if (next.leaderLogEndOffset() != data.leaderLogEndOffset()) {
      status.leaderLogEndOffset(next.leaderLogEndOffset());
    }
    status.offsets(next.logEndOffset(), next.highWatermark());
    Attempt updated = attempt.withCompletingOversized(false);
    if (a.logEndOffset() != data.logEndOffset()) {
      status.progressAt(now());
      updated = updated.withProgress();
    }
    return settle(next, updated);
  }

  private Behavior<Command> onChunkStaged(Data data, Attempt attempt, FollowerEvent.ChunkStaged c) {
    status.received(c.writtenBytes() + c.skippedBytes(), c.skippedBytes());
    status.stagedBytes(c.stagedBytes());
    Attempt updated = attempt.withCompletingOversized(c.stagedBytes() >= c.totalLength());
    if (c.writtenBytes() > 0) {
      status.progressAt(now());
      updated = updated.withProgress();
    }
    return replicating(FollowerState.CATCHING_UP, data, updated);
  }

  private Behavior<Command> onDivergenceReported(
      Data data, Attempt attempt, FollowerEvent.DivergenceReported d) {
    drop(attempt, "log diverged from the leader's");
    status.progressAt(now()); // cutting is a step of the recovery, not a stall
    Executor blocking = BlockingIo.executor(context.getSystem());
    context.pipeToSelf(
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return session.truncate(d.answer());
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            blocking),
        (result, error) -> new TruncationDone(d.answer(), result, error));
    return truncating(data);
  }

  private Behavior<Command> onTruncationDone(Data data, TruncationDone m) {
    if (m.error() != null) {
      return backOff(data, "cutting the diverged log failed: " + Failures.describe(m.error()));
    }
    FollowerSession.Truncation t = m.result();
    if (t.cut() instanceof EpochDivergence.Inconsistent i) {
      context.getLog().warn("{}: {}", setup.partition(), i.reason());
      return backOff(data, i.reason());
    }
    logTruncation(data, m.answer(), t);
    Data next = data.withLogEnd(t.toLogEnd());
    status.offsets(next.logEndOffset(), next.highWatermark());
    status.stagedBytes(0);
    status.progressAt(now());
    return connect(next);
  }

  /** A cut that finished after the follower moved on (a new leader): only its effect remains. */
  private Behavior<Command> onTruncationDoneElsewhere(TruncationDone m) {
    if (m.result() != null) {
      logTruncation(null, m.answer(), m.result());
    }
    return Behaviors.same();
  }

  private void logTruncation(Data data, Frame.Diverged answer, FollowerSession.Truncation t) {
    String leader = data == null ? "the leader" : "leader node " + data.leader().node();
    if (t.belowHighWatermark()) {
      context
          .getLog()
          .warn(
              "{}: log diverged from {} ({}): cut from {} to {}, below the high watermark {}:"
                  + " records this replica held as committed were removed",
              setup.partition(),
              leader,
              answer,
              t.fromLogEnd(),
              t.toLogEnd(),
              t.highWatermarkBefore());
    } else {
      context
          .getLog()
          .info(
              "{}: log diverged from {} ({}): cut from {} to {}",
              setup.partition(),
              leader,
              answer,
              t.fromLogEnd(),
              t.toLogEnd());
    }
  }

  private Behavior<Command> onConnectionEnded(Data data, Attempt attempt, String error) {
    Duration ran = Duration.ofNanos(now() - attempt.startedNanos());
    boolean healthy = backoff.resets(attempt.progressed(), attempt.reachedInSync(), ran);
    return backOff(healthy ? data.withFailures(0) : data, error);
  }

  private Behavior<Command> onLeaderChanged(Data data, Attempt attempt, LeaderChanged m) {
    Leader current = data.leader();
    if (m.leaderEpoch() < current.epoch()
        || (m.leaderEpoch() == current.epoch() && m.leaderNode() == current.node())) {
      // A repeated or stale assignment must not drop a working connection.
      context.getLog().debug("{}: ignoring {} (current {})", setup.partition(), m, current);
      return Behaviors.same();
    }
    context
        .getLog()
        .info(
            "{}: leader changed from node {} epoch {} to node {} epoch {}",
            setup.partition(),
            current.node(),
            current.epoch(),
            m.leaderNode(),
            m.leaderEpoch());
    Leader next = new Leader(m.leaderNode(), m.leaderEpoch());
    memory.leader = next;
    drop(attempt, "leader changed to node " + m.leaderNode() + " epoch " + m.leaderEpoch());
    return connect(data.withLeader(next));
  }

  private Behavior<Command> onRestartTransfer(Data data, Attempt attempt, RestartTransfer m) {
    context
        .getLog()
        .info(
            "{}: restarting the transfer on a fresh connection: {}", setup.partition(), m.reason());
    status.lastError("transfer restarted: " + m.reason());
    drop(attempt, "transfer restarted: " + m.reason());
    return connect(data);
  }

  private Behavior<Command> onLimitFrames(LimitFrames m) {
    if (m.divisor() < 1) {
      context.getLog().warn("{}: ignoring {}: divisor < 1", setup.partition(), m);
      return Behaviors.same();
    }
    memory.frameLimitDivisor = m.divisor();
    status.frameLimitDivisor(m.divisor());
    context
        .getLog()
        .info(
            "{}: frames of peer-max-bytes / {} ({} bytes) asked for from the next connection on",
            setup.partition(),
            m.divisor(),
            setup.settings().limitedFrameBytes(m.divisor()));
    return Behaviors.same();
  }

  // ---- helpers ----

  /** Aborts the attempt (if any) and cancels the backoff timer (if any). */
  private void drop(Attempt attempt, String why) {
    timers.cancel(TimerKey.BACKOFF);
    if (attempt != null) {
      attempt.killSwitch().abort(new ConnectionDroppedException(setup.partition() + ": " + why));
    }
  }

  /** On stop or restart: ends the attempt and closes the session, never the log. */
  private Behavior<Command> release(Attempt attempt) {
    if (attempt != null) {
      attempt.killSwitch().shutdown();
    }
    try {
      // Waits for a frame being applied on the blocking dispatcher; later frames are refused.
      session.close();
    } catch (IOException e) {
      context
          .getLog()
          .warn("{}: closing the follower session: {}", setup.partition(), e.toString());
    }
    return Behaviors.same();
  }

  /** Publishes {@code state}. */
  private void enter(FollowerState state) {
    FollowerState previous = status.state();
    if (state != previous) {
      context.getLog().debug("{}: {} -> {}", setup.partition(), previous, state);
      status.state(state);
    }
  }

  private static boolean isCurrent(Attempt attempt, int id) {
    return attempt != null && attempt.id() == id;
  }

  private static String closedBy(Data data) {
    return "leader node " + data.leader().node() + " closed the connection";
  }

  private long now() {
    return setup.nanoClock().getAsLong();
  }
}
