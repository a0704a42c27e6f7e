package dev.sluice.node.http;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Cluster metadata as the client API needs it. Implemented over the controller; stages fail with
 * {@link ApiException} for requests the controller refuses.
 */
public interface TopicService {
  CompletionStage<TopicView> create(String name, int partitions, int replicationFactor);

  CompletionStage<List<TopicView>> list();

  /** Fails with a 404 {@link ApiException} for an unknown topic. */
  CompletionStage<TopicView> describe(String name);

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
}
