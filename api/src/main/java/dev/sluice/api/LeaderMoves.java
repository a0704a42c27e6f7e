package dev.sluice.api;

import java.util.List;

/**
 * What {@code POST /leaders/rebalance} answers: each partition whose leadership went back to its
 * preferred replica (the first of its assignment) because that replica was live and in sync. Empty
 * when every such partition was already led by its preferred replica.
 *
 * <p>Thread-safety: immutable.
 *
 * @param moves the leader changes, in topic and partition order
 */
public record LeaderMoves(List<Move> moves) {
  public LeaderMoves {
    moves = moves == null ? List.of() : List.copyOf(moves);
  }

  /**
   * One leader change.
   *
   * @param topic the topic
   * @param partition the partition
   * @param from the node that led
   * @param to the preferred replica, now leading
   * @param leaderEpoch the new leader epoch
   */
  public record Move(String topic, int partition, int from, int to, int leaderEpoch) {}
}
