package dev.sluice.log;

/**
 * A leader append stamped with an epoch older than one the log was fenced at ({@link
 * PartitionLog#fenceLeaderEpochsBelow}): the node no longer leads that epoch, and another leader
 * does. Nothing was written; the client should retry with the partition's current leader.
 */
public final class FencedLeaderEpochException extends RuntimeException {
  public FencedLeaderEpochException(String message) {
    super(message);
  }
}
