package dev.sluice.node.management;

import dev.sluice.replication.follower.FollowerState;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchdogState;
import dev.sluice.replication.watchdog.WatchedReplica;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A real {@link StallWatchdog} publishing to a {@link WatchdogState}, driven by hand: scheduler
 * time ({@link ManualTime}) and the watchdog's clock advance together, and every tick is handled
 * before the next (a sentinel replica watched and unwatched behind it shows when), so tests
 * escalate replicas without sleeping. The test kit must run with {@link ManualTime#config()}.
 */
final class WatchdogDriver {
  static final Duration INTERVAL = Duration.ofSeconds(5);
  static final Duration STALL_TIMEOUT = Duration.ofSeconds(15);
  private static final String SENTINEL = "~sentinel";

  final WatchdogState state = new WatchdogState();
  private final ActorTestKit testKit;
  private final ManualTime manualTime;
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final ActorRef<StallWatchdog.Command> watchdog;

  WatchdogDriver(ActorTestKit testKit) {
    this.testKit = testKit;
    this.manualTime = ManualTime.get(testKit.system());
    this.watchdog = testKit.spawn(StallWatchdog.create(INTERVAL, STALL_TIMEOUT, state, nanos::get));
    handledSoFar(); // setup has run, so its timer counts from now
  }

  /** A follower behind its leader that makes no progress, like the incident's. */
  static FollowerStatus stuckFollower() {
    FollowerStatus status = new FollowerStatus();
    status.state(FollowerState.CATCHING_UP);
    status.offsets(120, 120);
    status.leaderLogEndOffset(145);
    status.lastError("connection reset");
    return status;
  }

  void watch(String name, FollowerStatus status) {
    watchdog.tell(
        new StallWatchdog.Watch(name, WatchedReplica.of(status, reason -> {}, divisor -> {})));
    handledSoFar();
  }

  /** Moves both clocks one interval at a time. */
  void advance(Duration total) {
    for (long done = 0; done < total.toNanos(); done += INTERVAL.toNanos()) {
      nanos.addAndGet(INTERVAL.toNanos());
      manualTime.timePasses(INTERVAL);
      handledSoFar();
    }
  }

  /** Enough stalls in a row for the watchdog to call a stuck replica unhealthy. */
  void escalateToUnhealthy() {
    advance(STALL_TIMEOUT.multipliedBy(3));
  }

  void stop() {
    testKit.stop(watchdog);
  }

  /**
   * Returns once the watchdog has handled everything sent to it so far, a tick that {@code
   * timePasses} queued included: a caught-up sentinel watched behind them shows in the state, and
   * is unwatched again without a trace.
   */
  private void handledSoFar() {
    WatchedReplica sentinel = WatchedReplica.of(new FollowerStatus(), reason -> {}, divisor -> {});
    watchdog.tell(new StallWatchdog.Watch(SENTINEL, sentinel));
    await(() -> state.replica(SENTINEL).isPresent());
    watchdog.tell(new StallWatchdog.Unwatch(SENTINEL));
    await(() -> state.replica(SENTINEL).isEmpty());
  }

  private void await(BooleanSupplier condition) {
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(5),
        Duration.ofMillis(1),
        () -> {
          if (!condition.getAsBoolean()) {
            throw new AssertionError("the watchdog has not handled its messages yet");
          }
          return null;
        });
  }
}
