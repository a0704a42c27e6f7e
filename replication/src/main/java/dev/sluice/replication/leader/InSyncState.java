package dev.sluice.replication.leader;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The leader's bookkeeping for one leader epoch of a partition: where each follower's log ends and
 * when it was last caught up, the in-sync set the controller committed, the change proposed to it,
 * and from these the high watermark. Pure logic with time passed in, so the rules are table-tested.
 *
 * <p>The rules (Kafka after KIP-497 and KAFKA-4485, and stricter where noted):
 *
 * <ul>
 *   <li><b>Position, not traffic.</b> Every follower message (handshake, progress, keep-alive)
 *       reports where its log ends. A follower whose end reaches the leader's is caught up now; one
 *       that reaches the end the leader had at its previous report was caught up then. An idle
 *       follower at the end keeps being caught up through its keep-alives.
 *   <li><b>Leaving.</b> A member not caught up for {@code replica-lag-time-max} is proposed for
 *       removal. Followers get that much grace from the start of the term, so a new leader does not
 *       evict followers that have not reconnected yet.
 *   <li><b>Joining.</b> A replica outside the set joins when its end is at least the high watermark
 *       and at least the start offset of this epoch (KAFKA-7128), and it reported within the lag
 *       time.
 *   <li><b>Maximal set.</b> One proposal is in flight at a time; until the controller answers it,
 *       the high watermark is computed over the committed set plus the proposed one (KIP-497), so a
 *       replica being added can never be elected while lacking an acknowledged record, and one
 *       being removed keeps counting until its removal is durable. A proposal whose answer was lost
 *       stays in flight and is sent again.
 *   <li><b>High watermark.</b> The smallest log end of the maximal set, never lower than before,
 *       and frozen while the committed set is smaller than {@code min-in-sync-replicas} (stricter
 *       than Kafka: an under-replicated write is never committed).
 * </ul>
 *
 * <p>Not thread-safe: owned by one {@link PartitionLeader} actor.
 */
public final class InSyncState {

  /** What the leader knows of one follower; {@code logEndOffset} is -1 until it reported. */
  public record FollowerPosition(long logEndOffset, long lastCaughtUpNanos, long lastReportNanos) {}

  private static final class Follower {
    long logEnd = -1;
    long lastCaughtUpNanos;
    long lastReportNanos;
    long leaderEndAtLastReport = -1;

    Follower(long termStartNanos) {
      this.lastCaughtUpNanos = termStartNanos;
      this.lastReportNanos = termStartNanos;
    }
  }

  private final int leader;
  private final long epochStartOffset;
  private final List<Integer> replicas;
  private int minInSync;
  private final long lagTimeMaxNanos;
  private final Map<Integer, Follower> followers = new HashMap<>();
  private List<Integer> committed;
  private long committedVersion;
  private List<Integer> proposed;
  private boolean proposalInFlight;

  /**
   * @param leader this node's id
   * @param epochStartOffset the leader's log end when it took this epoch
   * @param replicas every replica of the partition, preferred order, leader included
   * @param inSync the committed in-sync set the controller published with this epoch
   * @param version the partition version of that set
   * @param nowNanos the start of the term: every follower's grace period starts here
   */
  public InSyncState(
      int leader,
      long epochStartOffset,
      List<Integer> replicas,
      List<Integer> inSync,
      long version,
      int minInSync,
      long lagTimeMaxNanos,
      long nowNanos) {
    this.leader = leader;
    this.epochStartOffset = epochStartOffset;
    this.replicas = List.copyOf(replicas);
    this.minInSync = minInSync;
    this.lagTimeMaxNanos = lagTimeMaxNanos;
    this.committed = inReplicaOrder(inSync);
    this.committedVersion = version;
    for (int r : replicas) {
      if (r != leader) {
        followers.put(r, new Follower(nowNanos));
      }
    }
  }

  public long epochStartOffset() {
    return epochStartOffset;
  }

  public List<Integer> replicas() {
    return replicas;
  }

  /** The in-sync set the controller committed. */
  public List<Integer> committed() {
    return committed;
  }

  /** The partition version of the committed set. */
  public long committedVersion() {
    return committedVersion;
  }

  /** The proposed in-sync set not yet answered by the controller, if any. */
  public Optional<List<Integer>> proposed() {
    return Optional.ofNullable(proposed);
  }

  /** The committed set plus the proposed one: the set the high watermark waits for. */
  public List<Integer> maximal() {
    if (proposed == null) {
      return committed;
    }
    Set<Integer> union = new LinkedHashSet<>(committed);
    union.addAll(proposed);
    return inReplicaOrder(List.copyOf(union));
  }

  /**
   * A new {@code min-in-sync-replicas} for the rest of the term (the topic's setting changed). A
   * lower value lets the high watermark move at the next change; a higher one holds it, and refuses
   * acks=all writes, while the committed set is smaller.
   */
  public void minInSync(int value) {
    this.minInSync = value;
  }

  public int minInSync() {
    return minInSync;
  }

  public boolean underMinInSync() {
    return committed.size() < minInSync;
  }

  /**
   * A follower reported that its log ends at {@code logEndOffset} while the leader's ends at {@code
   * leaderEnd}. Reports of nodes that are not followers of this partition are ignored.
   *
   * @return false if the report was ignored
   */
  public boolean onReport(int replica, long logEndOffset, long leaderEnd, long nowNanos) {
    Follower f = followers.get(replica);
    if (f == null) {
      return false;
    }
    if (logEndOffset >= leaderEnd) {
      f.lastCaughtUpNanos = nowNanos;
    } else if (f.leaderEndAtLastReport >= 0 && logEndOffset >= f.leaderEndAtLastReport) {
      // It now holds everything the leader held at its previous report: caught up as of then.
      f.lastCaughtUpNanos = Math.max(f.lastCaughtUpNanos, f.lastReportNanos);
    }
    f.logEnd = logEndOffset;
    f.lastReportNanos = nowNanos;
    f.leaderEndAtLastReport = leaderEnd;
    return true;
  }

  /**
   * The high watermark the rules allow now: at least {@code currentHighWatermark}, raised to the
   * smallest log end of the maximal set when every member's end is known and the committed set is
   * at least {@code min-in-sync-replicas}.
   */
  public long highWatermark(long leaderEnd, long currentHighWatermark) {
    if (underMinInSync()) {
      return currentHighWatermark;
    }
    long candidate = leaderEnd;
    for (int member : maximal()) {
      if (member == leader) {
        continue;
      }
      Follower f = followers.get(member);
      if (f == null || f.logEnd < 0) {
        return currentHighWatermark; // a member that has not reported holds the watermark
      }
      candidate = Math.min(candidate, f.logEnd);
    }
    return Math.max(currentHighWatermark, candidate);
  }

  /**
   * The in-sync change to send to the controller now, if any: the pending proposal again after a
   * lost answer, or a new one when a member fell behind or a replica caught up. Marks it in flight.
   */
  public Optional<List<Integer>> nextProposal(long highWatermark, long nowNanos) {
    if (proposed != null) {
      if (proposalInFlight) {
        return Optional.empty();
      }
      proposalInFlight = true;
      return Optional.of(proposed);
    }
    List<Integer> next = new ArrayList<>();
    for (int r : replicas) {
      if (r == leader) {
        next.add(r);
        continue;
      }
      Follower f = followers.get(r);
      boolean member = committed.contains(r);
      if (member && nowNanos - f.lastCaughtUpNanos <= lagTimeMaxNanos) {
        next.add(r);
      } else if (!member
          && f.logEnd >= 0
          && f.logEnd >= highWatermark
          && f.logEnd >= epochStartOffset
          && nowNanos - f.lastReportNanos <= lagTimeMaxNanos) {
        next.add(r);
      }
    }
    if (next.equals(committed)) {
      return Optional.empty();
    }
    proposed = List.copyOf(next);
    proposalInFlight = true;
    return Optional.of(proposed);
  }

  /** The controller applied a set (its answer to our proposal, or a newer snapshot). */
  public void onCommitted(List<Integer> inSync, long version) {
    if (version < committedVersion) {
      return; // an older snapshot delivered late
    }
    committed = inReplicaOrder(inSync);
    committedVersion = version;
    if (proposed != null && proposed.equals(committed)) {
      proposed = null; // ours was applied: nothing can add to it any more
      proposalInFlight = false;
    }
  }

  /** The controller answered the proposal in flight: accepted as {@code inSync}. */
  public void onProposalAccepted(List<Integer> inSync, long version) {
    proposed = null;
    proposalInFlight = false;
    onCommitted(inSync, version);
  }

  /** The controller refused the proposal: it was not applied. */
  public void onProposalRefused() {
    proposed = null;
    proposalInFlight = false;
  }

  /** No answer came: the proposal may or may not be applied; it stays counted and is resent. */
  public void onProposalLost() {
    proposalInFlight = false;
  }

  /** Every follower's position, for status. */
  public Map<Integer, FollowerPosition> positions() {
    Map<Integer, FollowerPosition> out = new HashMap<>();
    followers.forEach(
        (id, f) ->
            out.put(id, new FollowerPosition(f.logEnd, f.lastCaughtUpNanos, f.lastReportNanos)));
    return Map.copyOf(out);
  }

  private List<Integer> inReplicaOrder(List<Integer> members) {
    List<Integer> ordered = new ArrayList<>();
    for (int r : replicas) {
      if (members.contains(r)) {
        ordered.add(r);
      }
    }
    return List.copyOf(ordered);
  }
}
