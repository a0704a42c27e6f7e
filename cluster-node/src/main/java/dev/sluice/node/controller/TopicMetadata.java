package dev.sluice.node.controller;

import java.util.ArrayList;
import java.util.List;

/**
 * A topic and the assignment of each of its partitions, indexed by partition number. Immutable and
 * value-equal.
 */
public record TopicMetadata(String name, List<PartitionAssignment> partitions)
    implements ControllerSerializable {

  public TopicMetadata {
    partitions = List.copyOf(partitions);
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

  public int replicationFactor() {
    return partitions.isEmpty() ? 0 : partitions.get(0).replicas().size();
  }

  public PartitionAssignment partition(int index) {
    return partitions.get(index);
  }

  public TopicMetadata withPartition(PartitionAssignment changed) {
    List<PartitionAssignment> copy = new ArrayList<>(partitions);
    copy.set(changed.partition(), changed);
    return new TopicMetadata(name, copy);
  }
}
