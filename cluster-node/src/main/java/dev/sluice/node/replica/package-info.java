/**
 * The replicas this node holds. {@link dev.sluice.node.replica.ReplicaManager} applies the
 * controller's metadata: it opens the log of every replica assigned here ({@link
 * dev.sluice.node.replica.LocalReplicas}) and runs one supervised {@link
 * dev.sluice.node.replica.PartitionReplicaActor} per replica for the role it was given (the
 * replication module's leader actor, or its follower state machine). {@link
 * dev.sluice.node.replica.PartitionReplica} is a replica's log plus handles on those actors; {@link
 * dev.sluice.node.replica.ReplicaStatus} is the one status type of a local replica, which the topic
 * description, the management pages, JMX and the metrics all read; {@link
 * dev.sluice.node.replica.AppliedMetadata} publishes the last applied snapshot to lock-free
 * readers. {@link dev.sluice.node.replica.ReplicaDirectories} is the partition directories' side of
 * the topic lifecycle: the topic id each records, and their crash-safe removal when a topic is
 * deleted.
 */
package dev.sluice.node.replica;
