package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The body of {@code POST /topics}. Values are checked by the server (the controller), which
 * answers 400 naming the value and the limit; this type only carries them.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the topic's name (see {@link TopicNames})
 * @param partitions how many partitions, at least 1
 * @param replicationFactor replicas per partition, at least 1 and at most the live nodes; absent on
 *     the wire means {@value #DEFAULT_REPLICATION_FACTOR}
 */
public record CreateTopicRequest(String name, int partitions, int replicationFactor) {
  /** What a request without {@code replicationFactor} gets. */
  public static final int DEFAULT_REPLICATION_FACTOR = 1;

  /** A request with the default replication factor. */
  public CreateTopicRequest(String name, int partitions) {
    this(name, partitions, DEFAULT_REPLICATION_FACTOR);
  }

  /** Reads the wire form; {@code name} and {@code partitions} are required. */
  @JsonCreator
  static CreateTopicRequest fromJson(
      @JsonProperty(value = "name", required = true) String name,
      @JsonProperty(value = "partitions", required = true) int partitions,
      @JsonProperty("replicationFactor") Integer replicationFactor) {
    return new CreateTopicRequest(
        name,
        partitions,
        replicationFactor == null ? DEFAULT_REPLICATION_FACTOR : replicationFactor);
  }
}
