/**
 * The cluster controller: a persistent cluster singleton ({@link
 * dev.sluice.node.controller.ControllerSingleton}) that is the single writer of the cluster's
 * metadata (topics with their ids and settings, replica placement, leaders and leader epochs,
 * in-sync sets, live nodes and their storage ids, deleted topics) and pushes it to every node as a
 * {@link dev.sluice.node.controller.MetadataSnapshot}. The decisions are pure and tested without
 * actors: elections, membership and preferred-leader balance in {@link
 * dev.sluice.node.controller.ControllerState}, in-sync updates in {@link
 * dev.sluice.node.controller.InSyncRules}, placement in {@link
 * dev.sluice.node.controller.ReplicaPlacement}.
 *
 * <p>The journal stores {@code Controller$Event$*}, {@code ControllerState}, {@code TopicMetadata},
 * {@code PartitionAssignment}, {@code DeletedTopic} and {@code MetadataSnapshot} by class name
 * (jackson-cbor, {@link dev.sluice.node.controller.ControllerSerializable}): those classes are
 * never renamed or moved, and their record fields are only ever added.
 */
package dev.sluice.node.controller;
