/**
 * The Sluice server: one node of the cluster. {@link dev.sluice.node.SluiceNode} wires a node from
 * its validated settings ({@link dev.sluice.node.NodeConfig} derives Pekko's configuration from
 * them): the ActorSystem and cluster membership ({@link dev.sluice.node.NodeMembership}, {@link
 * dev.sluice.node.RejoinDelay}), the controller singleton, the local replicas, the replication
 * server, the client HTTP API and management. {@link dev.sluice.node.StorageId} identifies a node's
 * data directory to the controller; {@link dev.sluice.node.ControllerTopicService} is the client
 * API's view of the controller's metadata.
 *
 * <p>Sub-packages: {@code controller} (the cluster's metadata and failover decisions, event
 * sourced), {@code replica} (the replicas this node holds and the actors that run their roles),
 * {@code http} (the client API's routes; its model is the {@code api} module's), {@code management}
 * (health, metrics, JMX and the replica status page). The replication protocol, the leader actor
 * and the follower state machine are the {@code replication} module's; the log is {@code
 * persistence}'s.
 *
 * <p>Messages between nodes implement {@link dev.sluice.node.NodeSerializable} (jackson-cbor).
 */
package dev.sluice.node;
