package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Optional;

/**
 * One partition in a topic description: the controller's assignment and, per replica, what its node
 * reported.
 *
 * <p>Thread-safety: immutable.
 *
 * @param partition index within the topic, from 0
 * @param leader node id of the leader, {@value #NO_LEADER} while the partition is offline
 * @param leaderEpoch bumped on every leader change
 * @param inSync node ids of the in-sync replicas, in replica order
 * @param replicas every replica, preferred leader first
 * @param preferredLeader the node that leads when it is live and in sync: the first replica of the
 *     assignment ({@value #NO_LEADER} when the description lists no replica)
 */
public record PartitionDescription(
    int partition,
    int leader,
    int leaderEpoch,
    List<Integer> inSync,
    List<ReplicaDescription> replicas,
    int preferredLeader) {

  /** The leader of an offline partition. */
  public static final int NO_LEADER = -1;

  public PartitionDescription {
    inSync = inSync == null ? List.of() : List.copyOf(inSync);
    replicas = replicas == null ? List.of() : List.copyOf(replicas);
  }

  /** A description whose preferred leader is its first listed replica. */
  public PartitionDescription(
      int partition,
      int leader,
      int leaderEpoch,
      List<Integer> inSync,
      List<ReplicaDescription> replicas) {
    this(partition, leader, leaderEpoch, inSync, replicas, firstNode(replicas));
  }

  /** Reads the wire form; without {@code preferredLeader} (an older server) it is the first one. */
  @JsonCreator
  static PartitionDescription fromJson(
      @JsonProperty("partition") int partition,
      @JsonProperty("leader") int leader,
      @JsonProperty("leaderEpoch") int leaderEpoch,
      @JsonProperty("inSync") List<Integer> inSync,
      @JsonProperty("replicas") List<ReplicaDescription> replicas,
      @JsonProperty("preferredLeader") Integer preferredLeader) {
    return new PartitionDescription(
        partition,
        leader,
        leaderEpoch,
        inSync,
        replicas,
        preferredLeader != null ? preferredLeader : firstNode(replicas));
  }

  private static int firstNode(List<ReplicaDescription> replicas) {
    return replicas == null || replicas.isEmpty() ? NO_LEADER : replicas.get(0).node();
  }

  /** Whether the preferred replica leads. */
  public boolean preferredLeads() {
    return leader != NO_LEADER && leader == preferredLeader;
  }

  /** The replica that leads: by role, falling back to the replica on the leader's node. */
  public Optional<ReplicaDescription> leaderReplica() {
    return replicas.stream()
        .filter(r -> r.role() == ReplicaRole.LEADER)
        .findFirst()
        .or(() -> leader == NO_LEADER ? Optional.empty() : replica(leader));
  }

  /** The replica on {@code node}, if the partition has one there. */
  public Optional<ReplicaDescription> replica(int node) {
    return replicas.stream().filter(r -> r.node() == node).findFirst();
  }

  /** The node ids of every replica, in replica order. */
  public List<Integer> replicaNodes() {
    return replicas.stream().map(ReplicaDescription::node).toList();
  }
}
