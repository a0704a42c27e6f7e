package dev.sluice.node.management;

import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchdogState;
import dev.sluice.replication.watchdog.WatchedReplica;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A real {@link StallWatchdog} publishing to a {@link WatchdogState}, driven by hand: scheduler
 * time ({@link ManualTime}) and the watchdog's clock advance together, and every tick is handled
 * before the next, so tests escalate replicas without sleeping. The test kit must run with {@link
 * ManualTime#config()}.
 */
final class WatchdogDriver {
  static final Duration INTERVAL = Duration.ofSeconds(5);
  static final Duration STALL_TIMEOUT = Duration.ofSeconds(15);

  final WatchdogState state = new WatchdogState();
  private final ActorTestKit testKit;
  private final ManualTime manualTime;
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final TestProbe<StallWatchdog.WatchdogReport> reports;
  private final ActorRef<StallWatchdog.Command> watchdog;

  WatchdogDriver(ActorTestKit testKit) {
    this.testKit = testKit;
    this.manualTime = ManualTime.get(testKit.system());
    this.reports = testKit.createTestProbe();
    this.watchdog = testKit.spawn(StallWatchdog.create(INTERVAL, STALL_TIMEOUT, state, nanos::get));
    report(); // setup has run, so its timer counts from now
  }

  /** A follower behind its leader that makes no progress, like the incident's. */
  static FollowerStatus stuckFollower() {
    FollowerStatus status = new FollowerStatus();
    status.state("catchingUp");
    status.offsets(120, 120);
    status.leaderLogEndOffset(145);
    status.lastError("connection reset");
    return status;
  }

  void watch(String name, FollowerStatus status) {
    watchdog.tell(
        new StallWatchdog.Watch(name, WatchedReplica.of(status, reason -> {}, divisor -> {})));
    report();
  }

  /** Moves both clocks one interval at a time. */
  void advance(Duration total) {
    for (long done = 0; done < total.toNanos(); done += INTERVAL.toNanos()) {
      nanos.addAndGet(INTERVAL.toNanos());
      manualTime.timePasses(INTERVAL);
      report();
    }
  }

  /** Enough stalls in a row for the watchdog to call a stuck replica unhealthy. */
  void escalateToUnhealthy() {
    advance(STALL_TIMEOUT.multipliedBy(3));
  }

  void stop() {
    testKit.stop(watchdog);
  }

  private void report() {
    watchdog.tell(new StallWatchdog.GetReport(reports.getRef()));
    reports.receiveMessage();
  }
}
