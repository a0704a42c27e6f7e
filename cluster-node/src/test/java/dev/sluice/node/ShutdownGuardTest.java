package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.testing.Conditions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shutdown guard's decision, driven by hand: a timer that runs its task only when the test says
 * so, a halt that records its status, and termination futures the test completes or not.
 */
class ShutdownGuardTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** Holds scheduled tasks until {@link #fire} runs them. */
  private static final class ManualTimer implements ShutdownGuard.Timer {
    final List<Duration> delays = new ArrayList<>();
    final List<Runnable> tasks = new ArrayList<>();

    @Override
    public synchronized void schedule(Duration delay, Runnable task) {
      delays.add(delay);
      tasks.add(task);
    }

    synchronized int scheduled() {
      return tasks.size();
    }

    void fire() {
      List<Runnable> due;
      synchronized (this) {
        due = new ArrayList<>(tasks);
      }
      due.forEach(Runnable::run);
    }
  }

  private final ManualTimer timer = new ManualTimer();
  private final List<Integer> halts = new ArrayList<>();
  private final AtomicInteger dumps = new AtomicInteger();
  private final ShutdownGuard guard =
      new ShutdownGuard(
          "Sluice node 2",
          TIMEOUT,
          timer,
          halts::add,
          () -> {
            dumps.incrementAndGet();
            return "\"main\" #1 WAITING\n";
          });

  @Test
  void aTerminationThatNeverCompletesAfterTheLogsClosedHaltsWithExitCode70() {
    CompletableFuture<Void> never = new CompletableFuture<>();
    guard.logsClosed("ClusterDowningReason", ShutdownGuard.Then.REJOINS, never);

    assertEquals(List.of(TIMEOUT), timer.delays);
    assertEquals(List.of(), halts, "nothing happens before the timeout");
    timer.fire();
    assertEquals(List.of(70), halts);
    assertEquals(1, dumps.get(), "the threads are dumped before the halt");
  }

  @Test
  void aTerminationThatCompletesWithinTheTimeoutLeavesTheProcessAlone() {
    CompletableFuture<Void> terminated = new CompletableFuture<>();
    guard.logsClosed("ClusterDowningReason", ShutdownGuard.Then.REJOINS, terminated);
    terminated.complete(null);

    timer.fire();
    assertEquals(List.of(), halts);
    assertEquals(0, dumps.get());
  }

  @Test
  void aFailedTerminationCountsAsFinished() {
    // The actor system is gone either way; runBlocking goes on, nothing hangs.
    guard.logsClosed(
        "ClusterDowningReason",
        ShutdownGuard.Then.REJOINS,
        CompletableFuture.failedFuture(new IllegalStateException("terminate failed")));
    timer.fire();
    assertEquals(List.of(), halts);
  }

  @Test
  void aNodeStoppingOnRequestThatHangsHaltsWithZeroAndStaysDown() {
    guard.logsClosed("ClusterLeavingReason", ShutdownGuard.Then.STOPS, new CompletableFuture<>());
    timer.fire();
    assertEquals(List.of(0), halts);
    assertEquals(1, dumps.get());
  }

  @Test
  void whatFollowsAShutdownDependsOnItsReason() {
    assertEquals(
        ShutdownGuard.Then.REJOINS,
        SluiceNode.afterShutdown(CoordinatedShutdown.clusterDowningReason()));
    assertEquals(
        ShutdownGuard.Then.REJOINS,
        SluiceNode.afterShutdown(CoordinatedShutdown.clusterJoinUnsuccessfulReason()));
    assertEquals(
        ShutdownGuard.Then.STOPS,
        SluiceNode.afterShutdown(CoordinatedShutdown.clusterLeavingReason()));
    assertEquals(
        ShutdownGuard.Then.STOPS,
        SluiceNode.afterShutdown(CoordinatedShutdown.actorSystemTerminateReason()));
    assertEquals(
        ShutdownGuard.Then.JVM_EXITS,
        SluiceNode.afterShutdown(CoordinatedShutdown.jvmExitReason()));
  }

  @Test
  void aShutdownForTheJvmsOwnExitIsNotGuarded() {
    guard.logsClosed("JvmExitReason", ShutdownGuard.Then.JVM_EXITS, new CompletableFuture<Void>());
    assertEquals(0, timer.scheduled());
    timer.fire();
    assertEquals(List.of(), halts);
  }

  @Test
  void theThreadDumpHoldsWholeStacks() {
    String dump = dumpFromDepth(20);
    String self = Thread.currentThread().getName();
    assertTrue(dump.contains("\"" + self + "\""), dump);
    // ThreadInfo.toString() would stop after 8 frames; the test method sits below 20 of them.
    assertTrue(dump.contains("theThreadDumpHoldsWholeStacks"), dump);
    assertTrue(dump.contains("ShutdownGuardTest.dumpFromDepth"), dump);
  }

  private static String dumpFromDepth(int depth) {
    return depth == 0 ? ShutdownGuard.allThreads() : dumpFromDepth(depth - 1);
  }

  /**
   * The node wires the guard to its own shutdown: it is armed only once the close-logs task has
   * run, and for a downed node (which would rejoin) a hang means exit code 70. Whether this actor
   * system has finished terminating when the timer fires is Pekko's business (its remoting shutdown
   * has been seen to take half a minute here): either outcome is checked.
   */
  @Test
  void aDownedNodeArmsItsGuardOnceItsLogsAreClosed(@TempDir Path dir) {
    SluiceNode node = SluiceNode.start(TestNodes.singleNode(dir, Map.of()));
    ShutdownGuard guarding =
        new ShutdownGuard("Sluice node 1", TIMEOUT, timer, halts::add, () -> "");
    try {
      node.guardShutdown(guarding);
      assertEquals(0, timer.scheduled(), "not armed while the node runs");

      Cluster cluster = Cluster.get(node.system());
      cluster.manager().tell(new Down(cluster.selfMember().address()));
      Conditions.await(() -> timer.scheduled() == 1, Duration.ofSeconds(60), "guard armed");
      assertEquals(List.of(TIMEOUT), timer.delays);

      boolean terminated = node.system().whenTerminated().isCompleted();
      timer.fire();
      assertEquals(terminated ? List.of() : List.of(ShutdownGuard.EXIT_CODE), halts);
    } finally {
      node.system().terminate(); // not awaited: a hung termination must not hang the test
    }
  }
}
