package dev.sluice.node.management;

import dev.sluice.node.replica.AppliedMetadata;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.replication.watchdog.WatchdogState;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Management of a node: publishes its components for the health check and the management routes
 * ({@link ReplicaReadinessCheck}, {@link MetricsRouteProvider}, {@link ReplicasRouteProvider}, all
 * configured in {@code sluice-defaults.conf}) and keeps its MXBeans registered in the platform
 * MBeanServer.
 *
 * <p>Replica MBeans follow the replicas by a periodic sync rather than a hook in the replica layer:
 * a replica shows up in JMX within {@link #JMX_SYNC_INTERVAL} of opening and leaves as quickly
 * after closing; every MBean of the node is removed when its ActorSystem terminates.
 */
public final class NodeManagement {
  private static final Logger log = LoggerFactory.getLogger(NodeManagement.class);

  /** How soon a new or closed replica is reflected in JMX. */
  static final Duration JMX_SYNC_INTERVAL = Duration.ofSeconds(2);

  private NodeManagement() {}

  /**
   * Publishes the node's components and registers its MBeans. Call before {@code
   * PekkoManagement.get(system).start()}, whose health checks and routes read what is published
   * here.
   *
   * @throws IllegalStateException when {@code system} already has a node
   */
  public static void init(
      ActorSystem<?> system,
      int nodeId,
      LocalReplicas replicas,
      WatchdogState watchdog,
      AppliedMetadata metadata) {
    NodeState.Components components =
        new NodeState.Components(nodeId, replicas, watchdog, metadata);
    NodeState.get(system).publish(components);

    JmxRegistry jmx = new JmxRegistry(ManagementFactory.getPlatformMBeanServer(), components);
    jmx.registerNode();
    jmx.sync();
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
