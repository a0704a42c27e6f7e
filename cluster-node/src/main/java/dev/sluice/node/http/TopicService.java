package dev.sluice.node.http;

import dev.sluice.api.LeaderMoves;
import dev.sluice.api.TopicDeleted;
import dev.sluice.api.TopicDescription;
import dev.sluice.replication.protocol.PartitionId;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Cluster metadata as the client API needs it. Implemented over the controller; stages fail with
 * {@link ApiException} for requests the controller refuses.
 */
public interface TopicService {
  /** A topic with the node defaults for every setting. */
  default CompletionStage<TopicDescription> create(
      String name, int partitions, int replicationFactor) {
    return create(name, partitions, replicationFactor, Map.of());
  }

  /**
   * A topic with its own settings ({@code config}, see {@code dev.sluice.config.TopicSettings}); a
   * 400 {@link ApiException} names a bad key, value and limit.
   */
  CompletionStage<TopicDescription> create(
      String name, int partitions, int replicationFactor, Map<String, String> config);

  /**
   * Deletes a topic; completes once the controller recorded it and this node no longer serves it. A
   * 404 {@link ApiException} for an unknown topic.
   */
  CompletionStage<TopicDeleted> delete(String name);

  /**
   * Grows a topic to {@code partitions} partitions; a 400 {@link ApiException} when that is not
   * more than it has (naming the current count), a 404 for an unknown topic.
   */
  CompletionStage<TopicDescription> addPartitions(String name, int partitions);

  /**
   * Changes some of a topic's settings: a key to a value sets it, a key to null (or an empty value)
   * gives it back to the node's value; keys not named keep theirs. A 400 {@link ApiException} names
   * a bad key, value and limit; a 404 an unknown topic.
   */
  CompletionStage<TopicDescription> alterConfig(String name, Map<String, String> changes);

  /** Gives leadership back to every preferred replica that is live and in sync. */
  CompletionStage<LeaderMoves> rebalanceLeaders();

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
