package dev.sluice.replication.leader;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Sends a leader's in-sync change to whoever commits it (the controller). The answer must say
 * whether the change was applied; a failed stage means the answer is unknown, and the leader keeps
 * counting the proposal and sends it again.
 */
@FunctionalInterface
public interface InSyncProposer {

  /**
   * @param leaderEpoch the epoch the leader leads in: a deposed leader's proposal is refused
   * @param baseVersion the partition version the proposal was computed against
   * @param inSync the proposed in-sync set, leader included
   */
  CompletionStage<Decision> propose(int leaderEpoch, long baseVersion, List<Integer> inSync);

  /** The committer's answer. */
  sealed interface Decision {}

  /** Applied: the partition's in-sync set is now {@code inSync} at {@code version}. */
  record Accepted(List<Integer> inSync, long version) implements Decision {
    public Accepted {
      inSync = List.copyOf(inSync);
    }
  }

  /** Not applied, for {@code reason}. */
  record Refused(String reason) implements Decision {}

  /**
   * Not applied: computed against an older version; the committed set is now {@code inSync} at
   * {@code version}.
   */
  record Superseded(List<Integer> inSync, long version) implements Decision {
    public Superseded {
      inSync = List.copyOf(inSync);
    }
  }
}
