package dev.sluice.format;

/**
 * Kafka's partition for a keyed record ({@code BuiltInPartitioner.partitionForKey}): the murmur2
 * hash of the key bytes with the sign bit cleared, modulo the partition count. A key maps to the
 * same partition number in Sluice as in Kafka for the same partition count. Pure function;
 * thread-safe.
 */
public final class KafkaPartitioner {
  private KafkaPartitioner() {}

  public static int partitionForKey(byte[] key, int partitions) {
    if (partitions < 1) {
      throw new IllegalArgumentException(
          "partition count " + partitions + " is below the minimum 1");
    }
    return (Murmur2.hash(key) & 0x7fffffff) % partitions;
  }
}
