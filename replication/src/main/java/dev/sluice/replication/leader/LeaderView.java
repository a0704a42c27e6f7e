package dev.sluice.replication.leader;

import java.util.List;
import java.util.Map;

/**
 * What the partition's leader publishes after every change, for status, metrics and management: an
 * immutable snapshot, read without locks.
 *
 * @param leading false while this replica does not lead (the other fields are then empty)
 * @param epochStartOffset the leader's log end when it took this epoch; a new leader's high
 *     watermark may lag behind it for a moment after a failover
 * @param inSync the committed in-sync set
 * @param maximal the committed set plus a proposal in flight: what the high watermark waits for
 * @param followers where each follower's log ends and when it was last caught up
 */
public record LeaderView(
    boolean leading,
    int leaderEpoch,
    long epochStartOffset,
    List<Integer> inSync,
    List<Integer> maximal,
    Map<Integer, InSyncState.FollowerPosition> followers,
    boolean underMinInSync) {

  public static final LeaderView NOT_LEADING =
      new LeaderView(false, -1, -1, List.of(), List.of(), Map.of(), false);

  public LeaderView {
    inSync = List.copyOf(inSync);
    maximal = List.copyOf(maximal);
    followers = Map.copyOf(followers);
  }
}
