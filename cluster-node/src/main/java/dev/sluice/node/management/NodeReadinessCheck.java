package dev.sluice.node.management;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Readiness of a node: it can serve clients. Ready when, all at once,
 *
 * <ul>
 *   <li>its client API is bound (and not unbinding: a stopping node turns unready first),
 *   <li>this member is {@code Up} in the cluster,
 *   <li>it has applied metadata from the controller (before that it knows no topic and redirects
 *       nobody).
 * </ul>
 *
 * <p>Replica trouble is deliberately absent: one stalled follower, even one the watchdog escalated,
 * must not take the node and the partitions it leads healthily out of service. Replica trouble is a
 * metric ({@code sluice_watchdog_unhealthy_replicas}), a flag in {@code topic describe} and in
 * {@code status}.
 *
 * <p>Configured as {@code pekko.management.health-checks.readiness-checks.sluice-node};
 * pekko-management creates it with the classic ActorSystem and calls it for every {@code GET
 * /ready}. Not ready is a failed stage naming every unmet condition, so {@code /ready} answers 500
 * with the reasons. It reads published state on the caller's thread and never waits.
 */
public final class NodeReadinessCheck implements Supplier<CompletionStage<Boolean>> {

  /** Why the node is not ready. */
  public static final class NotReadyException extends RuntimeException {
    public NotReadyException(String message) {
      super(message);
    }
  }

  private final Supplier<Optional<NodeState.Components>> components;
  private final Supplier<MemberStatus> memberStatus;

  public NodeReadinessCheck(ActorSystem system) {
    NodeState state = NodeState.get(system);
    Cluster cluster = Cluster.get(Adapter.toTyped(system));
    this.components = state::components;
    this.memberStatus = () -> cluster.selfMember().status();
  }

  /** The check over given sources: what the node publishes, and this member's status. */
  NodeReadinessCheck(
      Supplier<Optional<NodeState.Components>> components, Supplier<MemberStatus> memberStatus) {
    this.components = components;
    this.memberStatus = memberStatus;
  }

  @Override
  public CompletionStage<Boolean> get() {
    List<String> unmet = unmet();
    if (unmet.isEmpty()) {
      return CompletableFuture.completedFuture(true);
    }
    return CompletableFuture.failedFuture(
        new NotReadyException("not ready: " + String.join("; ", unmet)));
  }

  /** True when ready; what the {@code sluice_node_ready} gauge and the node's MXBean show. */
  public boolean ready() {
    return unmet().isEmpty();
  }

  /** Every unmet condition, empty when ready. */
  List<String> unmet() {
    List<String> unmet = new ArrayList<>();
    Optional<NodeState.Components> node = components.get();
    if (node.isEmpty()) {
      unmet.add("the node has not started its client API yet");
      return unmet;
    }
    if (!node.get().apiServing().getAsBoolean()) {
      unmet.add("the client API is not bound (the node is stopping)");
    }
    MemberStatus status = memberStatus.get();
    if (status != MemberStatus.up()) {
      unmet.add("this member is " + status + " in the cluster, not Up");
    }
    if (node.get().metadata().get() == null) {
      unmet.add("no cluster metadata received from the controller yet");
    }
    return unmet;
  }
}
