package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

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
 * @param config the topic's own settings (key to value, as {@link AlterTopicConfigRequest} takes
 *     them); absent or empty on the wire: the node defaults
 */
public record CreateTopicRequest(
    String name,
    int partitions,
    int replicationFactor,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> config) {
  /** What a request without {@code replicationFactor} gets. */
  public static final int DEFAULT_REPLICATION_FACTOR = 1;

  public CreateTopicRequest {
    config = Collections.unmodifiableMap(config == null ? new TreeMap<>() : new TreeMap<>(config));
  }

  /** A request with the node defaults for every setting. */
  public CreateTopicRequest(String name, int partitions, int replicationFactor) {
    this(name, partitions, replicationFactor, Map.of());
  }

  /** A request with the default replication factor. */
  public CreateTopicRequest(String name, int partitions) {
    this(name, partitions, DEFAULT_REPLICATION_FACTOR);
  }

  /** Reads the wire form; {@code name} and {@code partitions} are required. */
  @JsonCreator
  static CreateTopicRequest fromJson(
      @JsonProperty(value = "name", required = true) String name,
      @JsonProperty(value = "partitions", required = true) int partitions,
      @JsonProperty("replicationFactor") Integer replicationFactor,
      @JsonProperty("config") Map<String, String> config) {
    return new CreateTopicRequest(
        name,
        partitions,
        replicationFactor == null ? DEFAULT_REPLICATION_FACTOR : replicationFactor,
        config);
  }
}
