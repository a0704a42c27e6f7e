package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@code GET /topics/{t}} and {@code POST /topics} answer, and each element of a {@link
 * TopicList}: a topic's assignment joined with the live status of each replica.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the topic's name
 * @param partitionCount how many partitions the topic has
 * @param replicationFactor replicas per partition
 * @param partitions every partition, in partition order
 * @param topicId the id of this incarnation of the name (a topic deleted and created again gets a
 *     new one); null for a topic created before ids existed
 * @param config the topic's own settings, key to value as set ({@code retention.bytes}, {@code
 *     retention.time}, {@code max-batch-bytes}, {@code flush}, {@code min-in-sync-replicas}); a key
 *     not present takes the node's value
 */
public record TopicDescription(
    String name,
    int partitionCount,
    int replicationFactor,
    List<PartitionDescription> partitions,
    String topicId,
    Map<String, String> config) {

  public TopicDescription {
    partitions = partitions == null ? List.of() : List.copyOf(partitions);
    config = Collections.unmodifiableMap(config == null ? new TreeMap<>() : new TreeMap<>(config));
  }

  /** A description without id or settings. */
  public TopicDescription(
      String name,
      int partitionCount,
      int replicationFactor,
      List<PartitionDescription> partitions) {
    this(name, partitionCount, replicationFactor, partitions, null, Map.of());
  }

  /** Reads the wire form; fields an older server does not send read as null and empty. */
  @JsonCreator
  static TopicDescription fromJson(
      @JsonProperty("name") String name,
      @JsonProperty("partitionCount") int partitionCount,
      @JsonProperty("replicationFactor") int replicationFactor,
      @JsonProperty("partitions") List<PartitionDescription> partitions,
      @JsonProperty("topicId") String topicId,
      @JsonProperty("config") Map<String, String> config) {
    return new TopicDescription(
        name, partitionCount, replicationFactor, partitions, topicId, config);
  }

  /** Partition {@code partition}, if the topic has it. */
  public Optional<PartitionDescription> partition(int partition) {
    return partitions.stream().filter(p -> p.partition() == partition).findFirst();
  }
}
