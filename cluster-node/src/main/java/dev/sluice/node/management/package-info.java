/**
 * What an operator reads from a node on the management port and over JMX: readiness and liveness
 * ({@link dev.sluice.node.management.NodeReadinessCheck}, {@link
 * dev.sluice.node.management.NodeLivenessCheck}), {@code GET /metrics} from a Micrometer registry
 * in the Prometheus format ({@link dev.sluice.node.management.NodeMetrics}), {@code GET /replicas}
 * ({@link dev.sluice.node.management.ReplicasRouteProvider}), one MXBean per node and per replica
 * ({@link dev.sluice.node.management.JmxRegistry}), and the cluster status behind the client API's
 * {@code GET /cluster/status} ({@link dev.sluice.node.management.ClusterStatusService}, with each
 * node's {@link dev.sluice.node.management.StalledReplicasReporter}). Every value is read from the
 * node's components when asked (replica statuses, the watchdog's state, the applied metadata);
 * nothing is accumulated here except the meters Micrometer keeps. pekko-management creates the
 * route providers and the health checks reflectively, so they find the node's components through
 * {@link dev.sluice.node.management.NodeState}.
 *
 * <p>Metric names, JMX attribute names and the {@code /replicas} JSON are operators' interfaces:
 * the tests pin them.
 */
package dev.sluice.node.management;
