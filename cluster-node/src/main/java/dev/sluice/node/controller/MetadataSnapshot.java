package dev.sluice.node.controller;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything a node needs to know about the cluster's metadata, pushed by the controller to every
 * subscriber after each change. Metadata only, never record bytes; still, a large cluster's
 * snapshot (about 200 bytes per partition) exceeds Artery's frame size, so messages this large are
 * gzip-compressed on the wire ({@code sluice-controller.conf}).
 *
 * @param revision grows with every change the controller persisted; a subscriber ignores a snapshot
 *     whose revision is lower than one it already applied
 * @param topics every topic, sorted by name
 * @param liveNodes node id to the address it registered with, sorted by id
 * @param deletedTopics every topic deleted so far, oldest first: what replicas remove
 */
public record MetadataSnapshot(
    long revision,
    List<TopicMetadata> topics,
    Map<Integer, String> liveNodes,
    List<DeletedTopic> deletedTopics)
    implements ControllerSerializable {

  @JsonCreator
  public MetadataSnapshot {
    topics = List.copyOf(topics);
    liveNodes = java.util.Collections.unmodifiableMap(new TreeMap<>(liveNodes));
    deletedTopics = deletedTopics == null ? List.of() : List.copyOf(deletedTopics);
  }

  /** A snapshot without deleted topics. */
  public MetadataSnapshot(
      long revision, List<TopicMetadata> topics, Map<Integer, String> liveNodes) {
    this(revision, topics, liveNodes, List.of());
  }

  /** The topic named {@code name}, if it exists. */
  public Optional<TopicMetadata> topic(String name) {
    return topics.stream().filter(t -> t.name().equals(name)).findFirst();
  }
}
