package dev.sluice.replication.leader;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.RecordingSyncer;
import dev.sluice.replication.protocol.PartitionId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition leader restarted by its supervisor while a flush of the failed instance is still
 * running: the log forces appends again until the next instance leads, and the old flush's answer
 * does not count as the new instance's own. Flushes run on an executor the test drives by hand, so
 * the test decides when each one runs; the restart is provoked by a view consumer that throws once.
 */
class PartitionLeaderRestartTest {
  static final ActorTestKit testKit =
      ActorTestKit.create("PartitionLeaderRestartTest", ManualTime.config());
  static final ManualTime manualTime = ManualTime.get(testKit.system());
  static final List<Integer> ALL = List.of(1, 2, 3);
  static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  final AtomicLong views = new AtomicLong();
  final AtomicBoolean failNextView = new AtomicBoolean();
  final AtomicReference<Optional<PartitionLeader.Lead>> assigned =
      new AtomicReference<>(Optional.empty());
  final RecordingSyncer syncer = new RecordingSyncer();
  final LinkedBlockingQueue<Runnable> flushes = new LinkedBlockingQueue<>();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aRestartTurnsDeferredForcesOffAndIgnoresTheOldInstancesFlush() throws Exception {
    try (PartitionLog log =
        PartitionLog.open(
            dir.resolve("t-0"), StorageSettings.of(1 << 20, 1 << 20), Clock.systemUTC(), syncer)) {
      ActorRef<PartitionLeader.Command> leader = spawn(log);
      PartitionLeader.Lead lead = new PartitionLeader.Lead(3, ALL, ALL, 1);
      assigned.set(Optional.of(lead));
      leader.tell(lead);

      TestProbe<PartitionLeader.AppendReply> first = append(leader);
      awaitCondition(() -> flushes.size() == 1, "the first append's flush queued");

      // The next view publication throws: the supervisor restarts the actor, with a back-off.
      failNextView.set(true);
      leader.tell(new PartitionLeader.FollowerReport(2, 0));
      assertEquals(
          PartitionLeader.Refusal.NOT_ACKNOWLEDGED,
          assertInstanceOf(PartitionLeader.AppendRefused.class, first.receiveMessage(WAIT))
              .reason());

      // Nobody leads during the back-off: an append made now must force by itself.
      int forces = syncer.forces();
      log.appendRecords(List.of(Record.of(null, bytes("direct"), TIMESTAMP)), 3);
      assertEquals(forces + 1, syncer.forces(), "an append between instances forced");

      manualTime.timePasses(Duration.ofSeconds(15)); // past the longest back-off
      TestProbe<PartitionLeader.AppendReply> second = append(leader);
      awaitCondition(() -> flushes.size() == 2, "the new instance's flush queued");

      // The old instance's flush ends first; its answer reaches the new instance.
      flushes.take().run();
      long end = log.logEndOffset();
      TestProbe<PartitionLeader.AppendReply> third = append(leader);
      awaitCondition(() -> log.logEndOffset() > end, "the third append written");
      barrier(leader);
      assertEquals(1, flushes.size(), "one flush in flight: the new instance's own");

      // It started after the third append was written, so it covers both.
      flushes.take().run();
      assertInstanceOf(PartitionLeader.Appended.class, second.receiveMessage(WAIT));
      assertInstanceOf(PartitionLeader.Appended.class, third.receiveMessage(WAIT));
      testKit.stop(leader);
    }
  }

  private ActorRef<PartitionLeader.Command> spawn(PartitionLog log) {
    LeaderSettings settings =
        new LeaderSettings(1, 2, Duration.ofSeconds(10), Duration.ofSeconds(1), WAIT);
    return testKit.spawn(
        PartitionLeader.create(
            new PartitionLeader.Setup(
                new PartitionId("t", 0),
                log,
                settings,
                (epoch, base, inSync) -> new java.util.concurrent.CompletableFuture<>(),
                v -> {
                  views.incrementAndGet();
                  if (failNextView.getAndSet(false)) {
                    throw new IllegalStateException("a view consumer failed (injected)");
                  }
                },
                new ChangeSignal(),
                new LeaderCounters(),
                assigned::get,
                System::nanoTime,
                settings::minInSyncReplicas,
                flushes::add)));
  }

  private TestProbe<PartitionLeader.AppendReply> append(ActorRef<PartitionLeader.Command> leader) {
    TestProbe<PartitionLeader.AppendReply> probe = testKit.createTestProbe();
    byte[] value = bytes("v");
    leader.tell(
        new PartitionLeader.Append(
            (l, epoch) -> l.appendRecords(List.of(Record.of(null, value, TIMESTAMP)), epoch),
            false,
            probe.getRef()));
    return probe;
  }

  /** Waits until the leader handled every message sent before (it publishes a view after each). */
  private void barrier(ActorRef<PartitionLeader.Command> leader) {
    long before = views.get();
    leader.tell(new PartitionLeader.FollowerReport(2, 0));
    awaitCondition(() -> views.get() > before, "the leader handled a report");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void awaitCondition(java.util.function.BooleanSupplier condition, String what) {
    testKit
        .createTestProbe()
        .awaitAssert(
            WAIT,
            () -> {
              assertTrue(condition.getAsBoolean(), what);
              return null;
            });
  }
}
