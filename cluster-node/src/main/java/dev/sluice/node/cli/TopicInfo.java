package dev.sluice.node.cli;

import java.util.List;
import java.util.Optional;

/**
 * A topic as {@code GET /topics/{name}} describes it. Numbers the server may not know yet (no
 * leader elected, replica not loaded) are boxed so they can be absent; unknown fields are ignored
 * so that a newer server still works with this client.
 */
record TopicInfo(
    String name, int partitionCount, int replicationFactor, List<PartitionInfo> partitions) {

  TopicInfo {
    partitions = partitions == null ? List.of() : List.copyOf(partitions);
  }

  Optional<PartitionInfo> partition(int partition) {
    return partitions.stream().filter(p -> p.partition() == partition).findFirst();
  }

  record PartitionInfo(
      int partition,
      Integer leader,
      Long leaderEpoch,
      List<Integer> inSync,
      List<ReplicaInfo> replicas) {

    PartitionInfo {
      inSync = inSync == null ? List.of() : List.copyOf(inSync);
      replicas = replicas == null ? List.of() : List.copyOf(replicas);
    }

    /** The replica that leads: by role, falling back to the partition's leader node id. */
    Optional<ReplicaInfo> leaderReplica() {
      return replicas.stream()
          .filter(r -> "leader".equalsIgnoreCase(r.role()))
          .findFirst()
          .or(
              () ->
                  replicas.stream()
                      .filter(r -> leader != null && r.node() == leader.intValue())
                      .findFirst());
    }
  }

  record ReplicaInfo(
      int node,
      String role,
      Long leo,
      Long hw,
      String state,
      Long lagBytes,
      Long backoffMillis,
      Boolean stalled,
      Integer stallCount,
      String lastError) {

    /** The watchdog's and the FSM's view in one cell: stalls, current backoff, last error. */
    String health() {
      StringBuilder sb = new StringBuilder();
      if (Boolean.TRUE.equals(stalled)) {
        sb.append("STALLED ");
      }
      if (stallCount != null && stallCount > 0) {
        sb.append("stalls=").append(stallCount).append(' ');
      }
      if (backoffMillis != null && backoffMillis > 0) {
        sb.append("backoff=").append(backoffMillis).append("ms ");
      }
      if (lastError != null && !lastError.isBlank()) {
        sb.append("error=").append(lastError);
      }
      return sb.length() == 0 ? "ok" : sb.toString().trim();
    }
  }
}
