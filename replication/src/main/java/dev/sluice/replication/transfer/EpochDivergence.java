package dev.sluice.replication.transfer;

import dev.sluice.log.epoch.EpochEndOffset;
import dev.sluice.replication.protocol.Frame;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Where a follower's log parts from its leader's, decided by leader epochs (KIP-101, KIP-279),
 * never by high watermark. Pure: both sides pass in their own log's {@code endOffsetForEpoch}.
 *
 * <p>The follower's handshake carries the epoch of its last batch and its log end. The leader looks
 * up the largest epoch of its own at or below that epoch and where it ends in its log. The logs
 * agree when the leader has that very epoch and it ends at or after the follower's log end (and the
 * follower is not below the leader's log start): the transfer starts. Otherwise the leader answers
 * {@link Frame.Diverged} and the follower cuts its log at the smaller of the leader's end of that
 * epoch and its own end of it: everything after that was written by an epoch the leader does not
 * share. The follower then sends a new handshake; each round removes at least one epoch, so this
 * ends. A follower the leader has no common epoch with, or one that would end up below the leader's
 * log start, restarts empty at the leader's log start.
 *
 * <p>Why "last batch" and not the newest epoch a replica led: a deposed leader that wrote nothing
 * in its last epoch must not claim it, or both sides would agree on nothing to cut and loop.
 */
public final class EpochDivergence {

  private EpochDivergence() {}

  /** What the follower must do with a {@link Frame.Diverged} answer. */
  public sealed interface Cut {}

  /** Remove every record at and above {@code offset}. */
  public record TruncateTo(long offset) implements Cut {}

  /** Empty the log and restart it at {@code offset}, the leader's log start. */
  public record RestartAt(long offset) implements Cut {}

  /** Nothing to cut: the answer does not fit this log (reported, and the attempt backs off). */
  public record Inconsistent(String reason) implements Cut {}

  /**
   * The leader's answer to a handshake: empty when the follower may fetch from its log end, else
   * the {@link Frame.Diverged} to send.
   *
   * @param followerLastEpoch epoch of the follower's last batch, -1 if its log is empty
   * @param leaderEndOffsetFor the leader log's {@code endOffsetForEpoch}
   */
  public static Optional<Frame.Diverged> leaderAnswer(
      int followerLastEpoch,
      long followerLogEnd,
      long leaderLogStart,
      long leaderLogEnd,
      IntFunction<EpochEndOffset> leaderEndOffsetFor) {
    if (followerLastEpoch < 0) {
      boolean inRange = followerLogEnd >= leaderLogStart && followerLogEnd <= leaderLogEnd;
      return inRange
          ? Optional.empty()
          : Optional.of(new Frame.Diverged(-1, leaderLogStart, leaderLogStart));
    }
    EpochEndOffset mine = leaderEndOffsetFor.apply(followerLastEpoch);
    boolean agree =
        mine.epoch() == followerLastEpoch
            && mine.endOffset() >= followerLogEnd
            && followerLogEnd >= leaderLogStart;
    if (agree) {
      return Optional.empty();
    }
    long end = mine.epoch() < 0 ? leaderLogStart : mine.endOffset();
    return Optional.of(new Frame.Diverged(mine.epoch(), end, leaderLogStart));
  }

  /**
   * Where the follower cuts its log on {@code answer}.
   *
   * @param followerEndOffsetFor the follower log's {@code endOffsetForEpoch}
   */
  public static Cut followerCut(
      Frame.Diverged answer,
      long followerLogEnd,
      IntFunction<EpochEndOffset> followerEndOffsetFor) {
    if (answer.epoch() < 0) {
      return new RestartAt(answer.logStartOffset());
    }
    long mine = followerEndOffsetFor.apply(answer.epoch()).endOffset();
    long target = Math.min(answer.endOffset(), mine);
    if (target < answer.logStartOffset()) {
      return new RestartAt(answer.logStartOffset());
    }
    if (target < followerLogEnd) {
      return new TruncateTo(target);
    }
    return new Inconsistent(
        "the leader reported divergence at epoch "
            + answer.epoch()
            + " ending at "
            + answer.endOffset()
            + ", but this log ends at "
            + followerLogEnd
            + " and its epoch "
            + answer.epoch()
            + " ends at "
            + mine);
  }
}
