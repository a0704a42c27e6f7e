package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of {@code PATCH /topics/{t}/config}: settings to change, key to value, as in the config
 * file ({@code "retention.bytes": "64MiB"}). A key with a null or empty value goes back to the
 * node's value; keys not named keep what they have. The server checks every value with the node's
 * rules and answers 400 naming the key, the value and the limit.
 *
 * <p>Keys: {@code retention.bytes}, {@code retention.time}, {@code max-batch-bytes}, {@code flush},
 * {@code min-in-sync-replicas}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param config key to new value, or to null to remove the topic's own value
 */
public record AlterTopicConfigRequest(Map<String, String> config) {
  public AlterTopicConfigRequest {
    // Null values are meaningful (remove); Map.copyOf would refuse them.
    config =
        Collections.unmodifiableMap(
            config == null ? new LinkedHashMap<>() : new LinkedHashMap<>(config));
  }

  @JsonCreator
  static AlterTopicConfigRequest fromJson(
      @JsonProperty(value = "config", required = true) Map<String, String> config) {
    return new AlterTopicConfigRequest(config);
  }
}
