package dev.sluice.node.replica;

/** A partition of a topic; also the name of its directory under the data dir ({@code t-0}). */
public record TopicPartition(String topic, int partition) {
  public String dirName() {
    return topic + "-" + partition;
  }

  @Override
  public String toString() {
    return dirName();
  }
}
