package dev.sluice.node.management;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Management of a node: publishes its components and metrics for the health checks and the
 * management routes ({@link NodeReadinessCheck}, {@link NodeLivenessCheck}, {@link
 * MetricsRouteProvider}, {@link ReplicasRouteProvider}, all configured in {@code
 * sluice-defaults.conf}), records when the node's member becomes Up ({@link NodeStartTimes}), binds
 * the node's meters, and keeps its MXBeans registered in the platform MBeanServer.
 *
 * <p>Replica MBeans follow the replicas by a periodic sync rather than a hook in the replica layer:
 * a replica shows up in JMX within {@link #JMX_SYNC_INTERVAL} of opening and leaves as quickly
 * after closing; every MBean of the node is removed when its ActorSystem terminates. The metrics
 * belong to the caller, who closes them.
 */
public final class NodeManagement {
  private static final Logger log = LoggerFactory.getLogger(NodeManagement.class);

  /** How soon a new or closed replica is reflected in JMX. */
  static final Duration JMX_SYNC_INTERVAL = Duration.ofSeconds(2);

  private NodeManagement() {}

  /**
   * Publishes the node's components and metrics, binds the node's meters and registers its MBeans.
   * Call once the client API is bound and before {@code PekkoManagement.get(system).start()}, whose
   * health checks and routes read what is published here.
   *
   * @throws IllegalStateException when {@code system} already has a node
   */
  public static void init(
      ActorSystem<?> system, NodeState.Components components, NodeMetrics metrics) {
    NodeState.get(system).publish(components, metrics);
    NodeStartTimes.get(system); // created with the ActorSystem by the node's configuration
    NodeReadinessCheck readiness = new NodeReadinessCheck(Adapter.toClassic(system));
    metrics.bind(components, readiness::ready);

    JmxRegistry jmx =
        new JmxRegistry(ManagementFactory.getPlatformMBeanServer(), components, readiness::ready);
    jmx.registerNode();
    jmx.sync();
    int nodeId = components.nodeId();
    Cancellable sync =
        system
            .scheduler()
            .scheduleWithFixedDelay(
                JMX_SYNC_INTERVAL,
                JMX_SYNC_INTERVAL,
                () -> {
                  try {
                    jmx.sync();
                  } catch (RuntimeException e) {
                    log.warn("node {}: JMX registration sync failed; retrying", nodeId, e);
                  }
                },
                system.executionContext());
    system
        .getWhenTerminated()
        .thenRun(
            () -> {
              sync.cancel();
              jmx.unregisterAll();
            });
  }
}
