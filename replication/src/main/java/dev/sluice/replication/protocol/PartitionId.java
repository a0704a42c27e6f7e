package dev.sluice.replication.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A topic partition as named on the replication wire and in every error message ({@code
 * "orders-3"}). Immutable; thread-safe.
 */
public record PartitionId(String topic, int partition) {

  /** Longest topic name in UTF-8 bytes, as in Kafka; it bounds the handshake frame. */
  public static final int MAX_TOPIC_BYTES = 249;

  public PartitionId {
    Objects.requireNonNull(topic, "topic");
    int bytes = topic.getBytes(StandardCharsets.UTF_8).length;
    if (bytes < 1 || bytes > MAX_TOPIC_BYTES) {
      throw new IllegalArgumentException(
          "topic name of " + bytes + " bytes is outside 1.." + MAX_TOPIC_BYTES);
    }
    if (partition < 0) {
      throw new IllegalArgumentException("negative partition " + partition);
    }
  }

  @Override
  public String toString() {
    return topic + "-" + partition;
  }
}
