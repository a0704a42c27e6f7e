package dev.sluice.replication.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A topic partition: on the replication wire, in every error message and log line, and as the key
 * of a node's local replicas ({@code "orders-3"}). Immutable; thread-safe.
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

  /**
   * The name of the partition's directory under a node's data dir, {@code orders-3}; also how the
   * stall watchdog and management name a replica.
   */
  public String dirName() {
    return topic + "-" + partition;
  }

  @Override
  public String toString() {
    return dirName();
  }
}
