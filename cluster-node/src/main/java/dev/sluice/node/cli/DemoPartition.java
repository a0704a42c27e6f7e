package dev.sluice.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One partition as {@code GET /topics/{t}} describes it, with the per-replica fields the demo
 * watches ({@link TopicInfo} has fewer). A value, parsed leniently: a number the server does not
 * know yet is -1.
 */
record DemoPartition(
    int partition, int leader, long leaderEpoch, List<Integer> inSync, List<Replica> replicas) {

  DemoPartition {
    inSync = List.copyOf(inSync);
    replicas = List.copyOf(replicas);
  }

  /**
   * @param lagBytes bytes behind the leader as the leader measures them; -1 unknown
   * @param state the follower FSM state ({@code leading} on the leader, {@code unknown} when the
   *     node did not answer)
   */
  record Replica(
      int node,
      String role,
      long leo,
      long hw,
      String state,
      long lagBytes,
      String lastError,
      long backoffMillis) {}

  /** The partition of a topic description, or empty when the topic has no such partition. */
  static Optional<DemoPartition> of(JsonNode topic, int partition) {
    for (JsonNode p : topic.path("partitions")) {
      if (p.path("partition").asInt(-1) != partition) {
        continue;
      }
      List<Integer> inSync = new ArrayList<>();
      p.path("inSync").forEach(n -> inSync.add(n.asInt()));
      List<Replica> replicas = new ArrayList<>();
      for (JsonNode r : p.path("replicas")) {
        replicas.add(
            new Replica(
                r.path("node").asInt(-1),
                r.path("role").asText(""),
                r.path("leo").asLong(-1),
                r.path("hw").asLong(-1),
                r.path("state").asText("unknown"),
                r.path("lagBytes").asLong(-1),
                r.path("lastError").asText(""),
                r.path("backoffMillis").asLong(0)));
      }
      return Optional.of(
          new DemoPartition(
              partition,
              p.path("leader").asInt(-1),
              p.path("leaderEpoch").asLong(-1),
              inSync,
              replicas));
    }
    return Optional.empty();
  }

  Optional<Replica> replica(int node) {
    return replicas.stream().filter(r -> r.node() == node).findFirst();
  }

  List<Integer> replicaNodes() {
    return replicas.stream().map(Replica::node).toList();
  }
}
