package dev.sluice.node.management;

import static dev.sluice.node.management.WatchdogDriver.INTERVAL;
import static dev.sluice.node.management.WatchdogDriver.STALL_TIMEOUT;
import static dev.sluice.node.management.WatchdogDriver.stuckFollower;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.watchdog.WatchdogState;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The readiness check against the state of a real stall watchdog that stuck followers drive into
 * escalation ({@link WatchdogDriver}); nothing here sleeps.
 */
class ReplicaReadinessCheckTest {
  static final ActorTestKit testKit =
      ActorTestKit.create("ReplicaReadinessCheckTest", ManualTime.config());

  WatchdogDriver watchdog;
  WatchdogState state;

  @BeforeEach
  void startWatchdog() {
    watchdog = new WatchdogDriver(testKit);
    state = watchdog.state;
  }

  @AfterEach
  void stopWatchdog() {
    watchdog.stop();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void readyWhileNoReplicaIsUnhealthy() throws Exception {
    watchdog.watch("orders-3", stuckFollower());
    watchdog.advance(STALL_TIMEOUT.multipliedBy(2)); // two stalls escalate, not yet to unhealthy
    assertTrue(state.ready());
    assertEquals(true, new ReplicaReadinessCheck(state).get().toCompletableFuture().get());
  }

  @Test
  void notReadyNamingTheReplicasTheWatchdogEscalatedToUnhealthy() {
    watchdog.watch("orders-3", stuckFollower());
    watchdog.watch("payments-0", stuckFollower());
    watchdog.escalateToUnhealthy();
    assertFalse(state.ready());

    Throwable failure = failureOf(new ReplicaReadinessCheck(state).get());
    assertInstanceOf(ReplicaReadinessCheck.ReplicasUnhealthyException.class, failure);
    assertTrue(
        failure.getMessage().startsWith("replicas unhealthy: [orders-3, payments-0]"),
        failure.getMessage());
  }

  @Test
  void readyAgainOnceTheReplicaMoves() throws Exception {
    FollowerStatus follower = stuckFollower();
    watchdog.watch("orders-3", follower);
    watchdog.escalateToUnhealthy();
    assertFalse(state.ready());

    follower.offsets(145, 145);
    watchdog.advance(INTERVAL);
    assertEquals(true, new ReplicaReadinessCheck(state).get().toCompletableFuture().get());
  }

  @Test
  void theConfiguredCheckReadsWhatTheNodePublished() throws Exception {
    ActorTestKit other = ActorTestKit.create("ReplicaReadinessCheckPublished");
    try {
      ReplicaReadinessCheck check = new ReplicaReadinessCheck(Adapter.toClassic(other.system()));
      assertTrue(failureOf(check.get()).getMessage().contains("not published"));

      NodeState.get(other.system())
          .publish(new NodeState.Components(1, NodeFixtures.noReplicas(), new WatchdogState()));
      assertEquals(true, check.get().toCompletableFuture().get());
      NodeState.Components second =
          new NodeState.Components(2, NodeFixtures.noReplicas(), new WatchdogState());
      assertThrows(
          IllegalStateException.class, () -> NodeState.get(other.system()).publish(second));
    } finally {
      other.shutdownTestKit();
    }
  }

  private static Throwable failureOf(CompletionStage<Boolean> stage) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> stage.toCompletableFuture().get());
    return e.getCause();
  }
}
