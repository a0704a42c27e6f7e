package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The body of {@code POST /topics/{t}/partitions}: grow the topic to {@code partitions} partitions.
 * Partitions are never removed; a count not larger than the current one is a 400 naming it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param partitions the new total number of partitions
 */
public record AddPartitionsRequest(int partitions) {
  @JsonCreator
  static AddPartitionsRequest fromJson(
      @JsonProperty(value = "partitions", required = true) int partitions) {
    return new AddPartitionsRequest(partitions);
  }
}
