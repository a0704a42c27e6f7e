package dev.sluice.node.controller;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A topic and the assignment of each of its partitions, indexed by partition number, with its
 * identity and its own settings. Immutable and value-equal.
 *
 * <p>Fields added after the first release ({@code topicId}, {@code config}) read as null and empty
 * from journal entries written before them: such a topic has no id, and its replicas are known by
 * name alone.
 *
 * @param name the topic's name; a deleted topic's name may be used again by a new topic
 * @param partitions every partition, in partition order
 * @param topicId this incarnation of the name, chosen by the controller when it creates the topic;
 *     replicas write it beside their data, so that data of a deleted topic is never taken for the
 *     data of a new topic of the same name. Null for topics created before ids existed
 * @param config the topic's own settings (key to value as written, see {@code
 *     dev.sluice.config.TopicSettings}); a key not present takes the node's value
 */
public record TopicMetadata(
    String name, List<PartitionAssignment> partitions, String topicId, Map<String, String> config)
    implements ControllerSerializable {

  @JsonCreator
  public TopicMetadata {
    partitions = List.copyOf(partitions);
    config = Collections.unmodifiableMap(config == null ? new TreeMap<>() : new TreeMap<>(config));
    for (int i = 0; i < partitions.size(); i++) {
      if (partitions.get(i).partition() != i) {
        throw new IllegalArgumentException(
            "topic "
                + name
                + ": partition at index "
                + i
                + " is numbered "
                + partitions.get(i).partition());
      }
    }
  }

  /** A topic without id or settings, as topics were before either existed. */
  public TopicMetadata(String name, List<PartitionAssignment> partitions) {
    this(name, partitions, null, Map.of());
  }

  public int replicationFactor() {
    return partitions.isEmpty() ? 0 : partitions.get(0).replicas().size();
  }

  public PartitionAssignment partition(int index) {
    return partitions.get(index);
  }

  public TopicMetadata withPartition(PartitionAssignment changed) {
    List<PartitionAssignment> copy = new ArrayList<>(partitions);
    copy.set(changed.partition(), changed);
    return new TopicMetadata(name, copy, topicId, config);
  }

  /** This topic with {@code added} appended to its partitions. */
  public TopicMetadata withPartitionsAdded(List<PartitionAssignment> added) {
    List<PartitionAssignment> copy = new ArrayList<>(partitions);
    copy.addAll(added);
    return new TopicMetadata(name, copy, topicId, config);
  }

  /** This topic with {@code newConfig} as its whole settings. */
  public TopicMetadata withConfig(Map<String, String> newConfig) {
    return new TopicMetadata(name, partitions, topicId, newConfig);
  }
}
