package dev.sluice.node.replica;

/**
 * acks=all cannot be honoured: fewer in-sync replicas than sluice.replication.min-in-sync-replicas.
 */
public final class NotEnoughReplicasException extends RuntimeException {
  public NotEnoughReplicasException(TopicPartition tp, int inSync, int required) {
    super(
        "not enough in-sync replicas for "
            + tp
            + ": "
            + inSync
            + " in sync, sluice.replication.min-in-sync-replicas = "
            + required);
  }
}
