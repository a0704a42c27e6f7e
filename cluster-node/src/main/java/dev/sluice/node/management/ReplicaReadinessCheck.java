package dev.sluice.node.management;

import dev.sluice.replication.watchdog.WatchdogState;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * Readiness of the node's replicas: not ready while the stall watchdog has escalated a replica to
 * unhealthy (stalled again and again despite restarts and smaller frames). Configured as {@code
 * pekko.management.health-checks.readiness-checks.sluice-replicas}; pekko-management creates it
 * with the classic ActorSystem and calls it for every {@code GET /ready}.
 *
 * <p>Not ready is a failed stage naming the replicas, so {@code /ready} answers 500 with {@code
 * Health Check Failed: ... replicas unhealthy: [orders-3] ...} rather than an anonymous "not ok".
 * The answer is computed from the watchdog's published state on the caller's thread; it never
 * waits.
 */
public final class ReplicaReadinessCheck implements Supplier<CompletionStage<Boolean>> {

  /** The reason the node is not ready. */
  public static final class ReplicasUnhealthyException extends RuntimeException {
    public ReplicasUnhealthyException(String message) {
      super(message);
    }
  }

  private final Supplier<Optional<WatchdogState>> watchdog;

  public ReplicaReadinessCheck(ActorSystem system) {
    NodeState state = NodeState.get(system);
    this.watchdog = () -> state.components().map(NodeState.Components::watchdog);
  }

  /** For tests: the check over a given watchdog state. */
  ReplicaReadinessCheck(WatchdogState watchdog) {
    Optional<WatchdogState> fixed = Optional.of(watchdog);
    this.watchdog = () -> fixed;
  }

  @Override
  public CompletionStage<Boolean> get() {
    Optional<WatchdogState> state = watchdog.get();
    if (state.isEmpty()) {
      return CompletableFuture.failedFuture(
          new ReplicasUnhealthyException("the node has not published its replicas yet"));
    }
    List<String> unhealthy = state.get().unhealthyReplicas();
    if (unhealthy.isEmpty()) {
      return CompletableFuture.completedFuture(true);
    }
    return CompletableFuture.failedFuture(
        new ReplicasUnhealthyException(
            "replicas unhealthy: "
                + unhealthy
                + " (stalled repeatedly despite transfer restarts; see GET /replicas)"));
  }
}
