package dev.sluice.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

/**
 * A topic as one node describes it ({@code GET /topics/{t}}): the controller's assignment as that
 * node last applied it, joined with the status of every replica whose node answered. Immutable.
 */
record TopicState(String name, List<PartitionState> partitions) {

  static final int NO_LEADER = -1;

  TopicState {
    partitions = List.copyOf(partitions);
  }

  static TopicState parse(JsonNode json) {
    List<PartitionState> parts = new ArrayList<>();
    for (JsonNode p : json.path("partitions")) {
      List<Integer> inSync = new ArrayList<>();
      p.path("inSync").forEach(n -> inSync.add(n.asInt()));
      List<ReplicaState> replicas = new ArrayList<>();
      for (JsonNode r : p.path("replicas")) {
        replicas.add(
            new ReplicaState(
                r.path("node").asInt(),
                r.path("role").asText(),
                r.path("leo").asLong(-1),
                r.path("hw").asLong(-1),
                r.path("state").asText()));
      }
      parts.add(
          new PartitionState(
              p.path("partition").asInt(),
              p.path("leader").asInt(NO_LEADER),
              p.path("leaderEpoch").asInt(-1),
              inSync,
              replicas));
    }
    return new TopicState(json.path("name").asText(), parts);
  }

  PartitionState partition(int partition) {
    for (PartitionState p : partitions) {
      if (p.partition() == partition) {
        return p;
      }
    }
    throw new AssertionError("topic " + name + " has no partition " + partition + ": " + this);
  }

  /** The first partition that is not {@link PartitionState#fullyInSync}, if any. */
  Optional<PartitionState> firstNotFullyInSync() {
    return partitions.stream().filter(p -> !p.fullyInSync()).findFirst();
  }

  /**
   * One partition.
   *
   * @param leader the leader's node id, {@link #NO_LEADER} while offline
   */
  record PartitionState(
      int partition,
      int leader,
      int leaderEpoch,
      List<Integer> inSync,
      List<ReplicaState> replicas) {
    PartitionState {
      inSync = List.copyOf(inSync);
      replicas = List.copyOf(replicas);
    }

    boolean hasLeader() {
      return leader != NO_LEADER;
    }

    List<Integer> replicaNodes() {
      return replicas.stream().map(ReplicaState::node).toList();
    }

    /** Followers: the replicas other than the leader. */
    List<Integer> followers() {
      return replicaNodes().stream().filter(n -> n != leader).toList();
    }

    ReplicaState replica(int node) {
      return replicas.stream()
          .filter(r -> r.node() == node)
          .findFirst()
          .orElseThrow(() -> new AssertionError("node " + node + " holds no replica of " + this));
    }

    /** Led, and every replica is in the in-sync set. */
    boolean fullyInSync() {
      return hasLeader() && new HashSet<>(inSync).equals(new HashSet<>(replicaNodes()));
    }

    /**
     * Led, every replica answered with the same log end and a high watermark equal to it, and every
     * follower's catch-up state says it reached the leader's end ({@code inSync}, or {@code
     * caughtUp} while the controller has not admitted it to the in-sync set yet): it finished any
     * truncation and holds the leader's whole log. Says nothing about the in-sync set.
     */
    boolean caughtUp() {
      if (!hasLeader() || replicas.isEmpty()) {
        return false;
      }
      long leo = replicas.get(0).leo();
      for (ReplicaState r : replicas) {
        if (r.leo() < 0 || r.leo() != leo || r.hw() != leo) {
          return false;
        }
        if (r.node() != leader && !r.state().equals("inSync") && !r.state().equals("caughtUp")) {
          return false;
        }
      }
      return true;
    }

    /**
     * {@link #fullyInSync} and quiet: every replica answered, all log end offsets are equal, all
     * high watermarks are equal and equal to the log end (nothing uncommitted is left).
     */
    boolean converged() {
      if (!fullyInSync() || replicas.isEmpty()) {
        return false;
      }
      long leo = replicas.get(0).leo();
      for (ReplicaState r : replicas) {
        if (r.leo() < 0 || r.leo() != leo || r.hw() != leo) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      StringBuilder s =
          new StringBuilder("partition ")
              .append(partition)
              .append(" leader ")
              .append(leader)
              .append(" epoch ")
              .append(leaderEpoch)
              .append(" inSync ")
              .append(inSync);
      for (ReplicaState r : replicas) {
        s.append(" [").append(r).append(']');
      }
      return s.toString();
    }
  }

  /** One replica's live status; {@code leo} and {@code hw} are -1 when its node did not answer. */
  record ReplicaState(int node, String role, long leo, long hw, String state) {
    @Override
    public String toString() {
      return "node " + node + " " + role + " leo " + leo + " hw " + hw + " " + state;
    }
  }
}
