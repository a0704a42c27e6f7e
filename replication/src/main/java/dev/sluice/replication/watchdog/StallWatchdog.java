package dev.sluice.replication.watchdog;

import dev.sluice.config.WatchdogSettings;
import dev.sluice.replication.follower.FollowerStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The per-node stall watchdog: makes sure no local follower replica stays stuck unnoticed (the
 * Fluvio incident: a follower looped on the same range forever and nothing reported it).
 *
 * <p>Every {@code sluice.watchdog.interval} it samples each watched replica's {@link
 * FollowerStatus} and applies the {@link StallDetector} rules. On a stall it logs one line (WARN
 * for stalls 1 to {@link StallDetector#TOP_LEVEL}, INFO for the repeats after that, so a stuck
 * replica does not flood the log), counts it in {@link WatchdogState}, asks for smaller frames when
 * escalating and then restarts the replica's transfer; the frame limit goes first so the fresh
 * connection already uses it. When the replica moves again it logs one INFO line and restores full
 * frames. The results are published to {@link WatchdogState} on every sample.
 *
 * <p>Time comes from an injected monotonic nanosecond clock, so tests drive it together with {@code
 * ManualTime}. A replica whose status or remedies throw is reported and skipped; it never takes the
 * watchdog, or the other replicas' watching, down.
 */
public final class StallWatchdog extends AbstractBehavior<StallWatchdog.Command> {

  /** Everything the watchdog accepts. */
  public sealed interface Command {}

  /** Start watching (or, for a known name, watch a new incarnation from a fresh baseline). */
  public record Watch(String replicaName, WatchedReplica replica) implements Command {
    public Watch {
      Objects.requireNonNull(replicaName, "replicaName");
      Objects.requireNonNull(replica, "replica");
    }
  }

  /** Stop watching, e.g. the replica became leader or its partition moved away. */
  public record Unwatch(String replicaName) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record Watched(WatchedReplica replica, StallDetector.Tracking tracking) {}

  public static Behavior<Command> create(
      WatchdogSettings settings, WatchdogState state, LongSupplier nanoClock) {
    return create(settings.interval(), settings.stallTimeout(), state, nanoClock);
  }

  /**
   * @param interval how often replicas are sampled, positive
   * @param stallTimeout no progress for this long while behind is a stall; larger than {@code
   *     interval} (the settings validator checks both)
   */
  public static Behavior<Command> create(
      Duration interval, Duration stallTimeout, WatchdogState state, LongSupplier nanoClock) {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(nanoClock, "nanoClock");
    StallDetector detector = new StallDetector(stallTimeout);
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
                  return new StallWatchdog(context, detector, state, nanoClock);
                }));
  }

  private final StallDetector detector;
  private final WatchdogState state;
  private final LongSupplier clock;
  private final Map<String, Watched> watched = new TreeMap<>();

  private StallWatchdog(
      ActorContext<Command> context,
      StallDetector detector,
      WatchdogState state,
      LongSupplier clock) {
    super(context);
    // Named after this class, not wherever the first log call happens to come from.
    context.setLoggerName(StallWatchdog.class);
    this.detector = detector;
    this.state = state;
    this.clock = clock;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Watch.class, this::onWatch)
        .onMessage(Unwatch.class, this::onUnwatch)
        .onMessage(Tick.class, tick -> onTick())
        .build();
  }

  private Behavior<Command> onWatch(Watch watch) {
    long now = clock.getAsLong();
    FollowerStatus.Snapshot sample = snapshotOf(watch.replicaName(), watch.replica());
    if (sample != null) {
      StallDetector.Tracking baseline = detector.start(sample, now);
      watched.put(watch.replicaName(), new Watched(watch.replica(), baseline));
      state.update(StallDetector.health(watch.replicaName(), sample, baseline, now));
    }
    return this;
  }

  private Behavior<Command> onUnwatch(Unwatch unwatch) {
    watched.remove(unwatch.replicaName());
    state.remove(unwatch.replicaName());
    return this;
  }

  private Behavior<Command> onTick() {
    long now = clock.getAsLong();
    for (Map.Entry<String, Watched> entry : watched.entrySet()) {
      String name = entry.getKey();
      WatchedReplica replica = entry.getValue().replica();
      FollowerStatus.Snapshot sample = snapshotOf(name, replica);
      if (sample == null) {
        continue;
      }
      StallDetector.Decision decision = detector.observe(entry.getValue().tracking(), sample, now);
      // Remember and publish before acting, so a remedy that throws cannot make the same stall
      // count, and log, again on the next tick.
      entry.setValue(new Watched(replica, decision.tracking()));
      state.update(StallDetector.health(name, sample, decision.tracking(), now));
      try {
        switch (decision.outcome()) {
          case STALLED -> onStalled(name, replica, sample, decision, now);
          case RECOVERED -> onRecovered(name, replica, sample, decision);
          case NONE -> decision.frameLimitDivisor().ifPresent(replica::limitFrames);
        }
      } catch (RuntimeException e) {
        getContext().getLog().warn("replica {}: the watchdog's remedy failed", name, e);
      }
    }
    return this;
  }

  private FollowerStatus.Snapshot snapshotOf(String name, WatchedReplica replica) {
    try {
      return replica.status().snapshot();
    } catch (RuntimeException e) {
      getContext().getLog().warn("replica {}: the watchdog could not read its status", name, e);
      return null;
    }
  }

  private void onStalled(
      String name,
      WatchedReplica replica,
      FollowerStatus.Snapshot sample,
      StallDetector.Decision decision,
      long now) {
    String line = StallDetector.describeStall(name, sample, decision, now);
    if (decision.stallCount() <= StallDetector.TOP_LEVEL) {
      getContext().getLog().warn(line);
    } else {
      getContext().getLog().info(line);
    }
    state.stallDetected();
    decision.frameLimitDivisor().ifPresent(replica::limitFrames);
    replica.restartTransfer(StallDetector.restartReason(decision, now));
  }

  private void onRecovered(
      String name,
      WatchedReplica replica,
      FollowerStatus.Snapshot sample,
      StallDetector.Decision decision) {
    getContext().getLog().info(StallDetector.describeRecovery(name, sample, decision));
    state.recovered();
    decision.frameLimitDivisor().ifPresent(replica::limitFrames);
  }
}
