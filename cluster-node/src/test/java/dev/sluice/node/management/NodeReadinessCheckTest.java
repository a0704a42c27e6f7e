package dev.sluice.node.management;

import static dev.sluice.node.management.WatchdogDriver.stuckFollower;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.replica.AppliedMetadata;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Readiness is about serving clients: API bound, member Up, metadata received. A follower the
 * watchdog escalated to unhealthy (a real {@link WatchdogDriver} escalation, no waiting) leaves the
 * node ready and shows in the metrics instead.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeReadinessCheckTest {
  private ActorTestKit testKit;
  private WatchdogDriver watchdog;

  @BeforeAll
  void start() {
    testKit =
        ActorTestKit.create(
            "NodeReadinessCheckTest",
            ConfigFactory.parseString("pekko.actor.provider = local")
                .withFallback(ManualTime.config())
                .withFallback(ConfigFactory.load()));
    watchdog = new WatchdogDriver(testKit);
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  /** One node's sources of readiness, each settable. */
  private final class Node {
    final AppliedMetadata metadata = new AppliedMetadata();
    final AtomicBoolean apiServing = new AtomicBoolean(true);
    final AtomicReference<MemberStatus> member = new AtomicReference<>(MemberStatus.up());
    final NodeState.Components components =
        new NodeState.Components(
            5, NodeFixtures.noReplicas(), watchdog.state, metadata, apiServing::get);
    final NodeReadinessCheck check =
        new NodeReadinessCheck(() -> Optional.of(components), member::get);

    void receiveMetadata() {
      metadata.publish(new MetadataSnapshot(1, List.of(), Map.of(5, "node-5")));
    }
  }

  @Test
  void notReadyBeforeMetadataArrivedThenReady() throws Exception {
    Node node = new Node();
    assertEquals(
        "not ready: no cluster metadata received from the controller yet",
        failureOf(node.check.get()));

    node.receiveMetadata();
    assertTrue(node.check.get().toCompletableFuture().get(5, TimeUnit.SECONDS));
    assertTrue(node.check.ready());
  }

  @Test
  void notReadyUntilUpNorOnceTheApiUnbinds() {
    Node node = new Node();
    node.receiveMetadata();
    node.member.set(MemberStatus.joining());
    assertEquals(
        "not ready: this member is Joining in the cluster, not Up", failureOf(node.check.get()));

    node.member.set(MemberStatus.up());
    node.apiServing.set(false);
    assertEquals(
        "not ready: the client API is not bound (the node is stopping)",
        failureOf(node.check.get()));
  }

  @Test
  void notReadyBeforeTheNodePublishedAnything() {
    NodeReadinessCheck check = new NodeReadinessCheck(Optional::empty, MemberStatus::up);
    assertEquals("not ready: the node has not started its client API yet", failureOf(check.get()));
  }

  @Test
  void anEscalatedFollowerLeavesTheNodeReadyAndShowsInTheMetrics() throws Exception {
    Node node = new Node();
    node.receiveMetadata();
    watchdog.watch("orders-3", stuckFollower());
    watchdog.escalateToUnhealthy();
    assertEquals(List.of("orders-3"), watchdog.state.unhealthyReplicas(), "escalated");

    assertTrue(node.check.get().toCompletableFuture().get(5, TimeUnit.SECONDS));
    try (NodeMetrics metrics = NodeMetrics.create(1)) {
      metrics.bind(node.components, node.check::ready);
      Scrape scrape = Scrape.parse(metrics.scrape());
      assertEquals(1, scrape.value("sluice_node_ready"));
      assertEquals(1, scrape.value("sluice_watchdog_unhealthy_replicas"));
      assertEquals(1, scrape.value("sluice_watchdog_stalled_replicas"));
      assertTrue(scrape.value("sluice_watchdog_stalls_total") >= 3, scrape::toString);
    }
  }

  @Test
  void oneNodePerActorSystem() {
    ActorTestKit other = ActorTestKit.create();
    try (NodeMetrics first = NodeMetrics.create(1);
        NodeMetrics second = NodeMetrics.create(1)) {
      NodeState state = NodeState.get(other.system());
      state.publish(new NodeState.Components(1, NodeFixtures.noReplicas(), watchdog.state), first);
      NodeState.Components another =
          new NodeState.Components(2, NodeFixtures.noReplicas(), watchdog.state);
      assertThrows(IllegalStateException.class, () -> state.publish(another, second));
      assertEquals(1, state.components().orElseThrow().nodeId());
    } finally {
      other.shutdownTestKit();
    }
  }

  private static String failureOf(CompletionStage<Boolean> stage) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> stage.toCompletableFuture().get());
    assertTrue(e.getCause() instanceof NodeReadinessCheck.NotReadyException, e.toString());
    return e.getCause().getMessage();
  }
}
