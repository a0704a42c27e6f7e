package dev.sluice.node.management;

import dev.sluice.node.replica.AppliedMetadata;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.replication.watchdog.WatchdogState;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Where a node publishes its components for the management classes that pekko-management creates
 * reflectively (health checks, route providers) and that therefore cannot be handed them.
 *
 * <p>It holds references, never copies of state: every reader asks the components themselves. The
 * components are published once per ActorSystem, by {@link NodeManagement#init}, before
 * pekko-management starts; before that {@link #components()} is empty. Thread-safe.
 */
public final class NodeState implements Extension {

  /**
   * The node's components management reads.
   *
   * @param apiServing true while the client API is bound and not unbinding
   */
  public record Components(
      int nodeId,
      LocalReplicas replicas,
      WatchdogState watchdog,
      AppliedMetadata metadata,
      BooleanSupplier apiServing) {
    public Components {
      Objects.requireNonNull(replicas, "replicas");
      Objects.requireNonNull(watchdog, "watchdog");
      Objects.requireNonNull(metadata, "metadata");
      Objects.requireNonNull(apiServing, "apiServing");
    }

    /** Components of a node serving its API that has applied no metadata yet. */
    public Components(int nodeId, LocalReplicas replicas, WatchdogState watchdog) {
      this(nodeId, replicas, watchdog, new AppliedMetadata(), () -> true);
    }

    /** Leader, under-replicated, under-min-in-sync and offline partition counts now. */
    public PartitionHealth partitionHealth() {
      return PartitionHealth.of(replicas, metadata.get());
    }
  }

  private static final class Id extends ExtensionId<NodeState> {
    private static final Id INSTANCE = new Id();

    @Override
    public NodeState createExtension(ActorSystem<?> system) {
      return new NodeState();
    }
  }

  private final AtomicReference<Components> components = new AtomicReference<>();
  private final AtomicReference<NodeMetrics> metrics = new AtomicReference<>();

  private NodeState() {}

  public static NodeState get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** For classes pekko-management constructs with the classic system. */
  public static NodeState get(org.apache.pekko.actor.ActorSystem system) {
    return get(Adapter.toTyped(system));
  }

  /** The published components, empty until {@link NodeManagement#init} ran. */
  public Optional<Components> components() {
    return Optional.ofNullable(components.get());
  }

  /** The node's metrics, empty until {@link NodeManagement#init} ran. */
  public Optional<NodeMetrics> metrics() {
    return Optional.ofNullable(metrics.get());
  }

  /**
   * Publishes the node's components and metrics.
   *
   * @throws IllegalStateException when this system already has a node: one node per ActorSystem
   */
  void publish(Components published, NodeMetrics publishedMetrics) {
    Objects.requireNonNull(published, "published");
    Objects.requireNonNull(publishedMetrics, "publishedMetrics");
    if (!components.compareAndSet(null, published)) {
      throw new IllegalStateException(
          "node "
              + components.get().nodeId()
              + " is already published in this ActorSystem; cannot add node "
              + published.nodeId());
    }
    metrics.set(publishedMetrics);
  }
}
