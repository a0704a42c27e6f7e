package dev.sluice.api;

import java.util.List;
import java.util.Optional;

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
 */
public record TopicDescription(
    String name, int partitionCount, int replicationFactor, List<PartitionDescription> partitions) {

  public TopicDescription {
    partitions = partitions == null ? List.of() : List.copyOf(partitions);
  }

  /** Partition {@code partition}, if the topic has it. */
  public Optional<PartitionDescription> partition(int partition) {
    return partitions.stream().filter(p -> p.partition() == partition).findFirst();
  }
}
