/**
 * What an operator reads from a node on the management port and over JMX: readiness ({@link
 * dev.sluice.node.management.ReplicaReadinessCheck}, from the stall watchdog), {@code GET /metrics}
 * in the Prometheus text format ({@link dev.sluice.node.management.SluiceMetrics}), {@code GET
 * /replicas} ({@link dev.sluice.node.management.ReplicasRouteProvider}), and one MXBean per node
 * and per replica ({@link dev.sluice.node.management.JmxRegistry}). Every value is read from the
 * node's components when asked (replica statuses, the watchdog's state, the applied metadata);
 * nothing is accumulated here. pekko-management creates the route providers and the health check
 * reflectively, so they find the node's components through {@link
 * dev.sluice.node.management.NodeState}.
 *
 * <p>Metric names, JMX attribute names and the {@code /replicas} JSON are operators' interfaces:
 * the tests pin them.
 */
package dev.sluice.node.management;
