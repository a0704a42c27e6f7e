package dev.sluice.node.http;

import dev.sluice.api.TopicDescription;
import dev.sluice.replication.protocol.PartitionId;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Cluster metadata as the client API needs it. Implemented over the controller; stages fail with
 * {@link ApiException} for requests the controller refuses.
 */
public interface TopicService {
  CompletionStage<TopicDescription> create(String name, int partitions, int replicationFactor);

  CompletionStage<List<TopicDescription>> list();

  /** Fails with a 404 {@link ApiException} for an unknown topic. */
  CompletionStage<TopicDescription> describe(String name);

  /** Where a partition lives, or a 404 {@link ApiException} when topic or partition is unknown. */
  CompletionStage<PartitionLocation> locate(String topic, int partition);

  /**
   * Nodes to send a client to for a partition.
   *
   * @param leaderNode node id of the leader, -1 while the partition has no leader
   * @param leaderApi API base URI of the leader's node, empty while the partition has no leader
   * @param replicaApis API base URIs of every node holding a replica, leader first
   */
  record PartitionLocation(int leaderNode, Optional<URI> leaderApi, List<URI> replicaApis) {}

  /**
   * The partition a request path names. A topic name no partition can have (longer than {@link
   * PartitionId#MAX_TOPIC_BYTES}) is answered as what it is, an unknown topic: the controller never
   * creates one.
   */
  static PartitionId partitionId(String topic, int partition) {
    try {
      return new PartitionId(topic, partition);
    } catch (IllegalArgumentException e) {
      throw new ApiException(404, "unknown topic " + topic);
    }
  }
}
