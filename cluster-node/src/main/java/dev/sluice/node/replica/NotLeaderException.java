package dev.sluice.node.replica;

/** A write reached a replica that does not lead its partition; the client is sent to the leader. */
public final class NotLeaderException extends RuntimeException {
  private final int leader;

  public NotLeaderException(TopicPartition tp, int leader) {
    super(
        "this node does not lead "
            + tp
            + (leader < 0 ? "; it has no leader now" : "; node " + leader + " does"));
    this.leader = leader;
  }

  public int leader() {
    return leader;
  }
}
