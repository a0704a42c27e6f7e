package dev.sluice.node.management;

import static dev.sluice.node.management.PrometheusText.Type.COUNTER;
import static dev.sluice.node.management.PrometheusText.Type.GAUGE;

import dev.sluice.node.replica.ReplicaStatus;
import dev.sluice.replication.leader.LeaderCounters;
import dev.sluice.replication.watchdog.WatchdogState;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The node's metrics in the Prometheus text format, computed from the replicas and the watchdog at
 * each scrape; nothing is accumulated here. Replica series are labelled {@code topic}, {@code
 * partition} and {@code role}; a role change starts new series, as a leader's and a follower's
 * numbers mean different things.
 */
final class SluiceMetrics {
  private SluiceMetrics() {}

  static String render(NodeState.Components node) {
    List<ReplicaStatus> replicas =
        node.replicas().all().stream()
            .map(r -> ReplicaStatus.of(r, node.watchdog()))
            .sorted(
                Comparator.comparing((ReplicaStatus r) -> r.partition().topic())
                    .thenComparingInt(r -> r.partition().partition()))
            .toList();
    PrometheusText text = new PrometheusText();
    replicaFamily(
        text,
        replicas,
        "sluice_replica_log_end_offset",
        GAUGE,
        "Offset the next record appended to the replica gets.",
        ReplicaStatus::leo);
    replicaFamily(
        text,
        replicas,
        "sluice_replica_high_watermark",
        GAUGE,
        "Offset up to which the replica's records are committed.",
        ReplicaStatus::hw);
    replicaFamily(
        text,
        replicas,
        "sluice_replica_log_start_offset",
        GAUGE,
        "First offset still in the replica's log.",
        ReplicaStatus::logStartOffset);
    replicaFamily(
        text,
        replicas,
        "sluice_replica_size_bytes",
        GAUGE,
        "Bytes of all segments of the replica's log.",
        ReplicaStatus::sizeBytes);
    text.family(
        "sluice_replica_lag_bytes",
        GAUGE,
        "Bytes the replica is behind its leader (0 on the leader); absent where this node does"
            + " not know.");
    for (ReplicaStatus r : replicas) {
      if (r.lagBytes() >= 0) {
        text.sample("sluice_replica_lag_bytes", r.lagBytes(), labels(r));
      }
    }
    replicaFamily(
        text,
        replicas,
        "sluice_replica_stalled",
        GAUGE,
        "1 while the watchdog considers the replica stalled, else 0.",
        r -> r.stalled() ? 1 : 0);
    replicaFamily(
        text,
        replicas,
        "sluice_replica_stalls_total",
        COUNTER,
        "Stalls the watchdog detected on the replica while it followed.",
        ReplicaStatus::totalStalls);
    replicaFamily(
        text,
        replicas,
        "sluice_replica_bytes_received_total",
        COUNTER,
        "Replication bytes the replica received while following.",
        ReplicaStatus::bytesReceived);
    replicaFamily(
        text,
        replicas,
        "sluice_replica_resent_bytes_total",
        COUNTER,
        "Received bytes the replica already held: the cost of restarted transfers.",
        ReplicaStatus::resentBytes);

    WatchdogState watchdog = node.watchdog();
    text.family(
            "sluice_node_ready",
            GAUGE,
            "1 while the node is ready, 0 while the watchdog reports a replica unhealthy.")
        .sample("sluice_node_ready", watchdog.ready() ? 1 : 0);
    text.family("sluice_node_replicas", GAUGE, "Replicas open on this node.")
        .sample("sluice_node_replicas", replicas.size());
    text.family(
            "sluice_watchdog_stalled_replicas", GAUGE, "Replicas the watchdog considers stalled.")
        .sample("sluice_watchdog_stalled_replicas", watchdog.stalledReplicas());
    text.family("sluice_watchdog_stalls_total", COUNTER, "Stalls detected on this node.")
        .sample("sluice_watchdog_stalls_total", watchdog.totalStalls());
    text.family(
            "sluice_watchdog_recoveries_total",
            COUNTER,
            "Stall episodes that ended with the replica moving again.")
        .sample("sluice_watchdog_recoveries_total", watchdog.recoveries());
    PartitionHealth health = node.partitionHealth();
    text.family("sluice_partitions_led", GAUGE, "Partitions this node leads.")
        .sample("sluice_partitions_led", health.leaders());
    text.family(
            "sluice_partitions_under_replicated",
            GAUGE,
            "Partitions this node leads whose in-sync set is smaller than their replicas.")
        .sample("sluice_partitions_under_replicated", health.underReplicated());
    text.family(
            "sluice_partitions_under_min_in_sync",
            GAUGE,
            "Partitions this node leads with fewer in-sync replicas than min-in-sync-replicas:"
                + " acks=all writes are refused.")
        .sample("sluice_partitions_under_min_in_sync", health.underMinInSync());
    text.family(
            "sluice_partitions_offline",
            GAUGE,
            "Partitions of the cluster without a leader (no eligible in-sync replica is live),"
                + " as this node's metadata shows them.")
        .sample("sluice_partitions_offline", health.offline());
    LeaderCounters counters = node.replicas().leaderCounters();
    text.family(
            "sluice_leader_elections_total",
            COUNTER,
            "Leader terms this node started: elections it won.")
        .sample("sluice_leader_elections_total", counters.leaderships());
    text.family(
            "sluice_in_sync_shrinks_total",
            COUNTER,
            "Replicas removed from the in-sync sets of partitions this node led.")
        .sample("sluice_in_sync_shrinks_total", counters.inSyncShrinks());
    text.family(
            "sluice_in_sync_expansions_total",
            COUNTER,
            "Replicas added to the in-sync sets of partitions this node led.")
        .sample("sluice_in_sync_expansions_total", counters.inSyncExpansions());
    return text.toString();
  }

  private static void replicaFamily(
      PrometheusText text,
      List<ReplicaStatus> replicas,
      String name,
      PrometheusText.Type type,
      String help,
      ToLongFunction<ReplicaStatus> value) {
    text.family(name, type, help);
    for (ReplicaStatus r : replicas) {
      text.sample(name, value.applyAsLong(r), labels(r));
    }
  }

  private static String[] labels(ReplicaStatus r) {
    return new String[] {
      "topic",
      r.partition().topic(),
      "partition",
      Integer.toString(r.partition().partition()),
      "role",
      r.role().label()
    };
  }
}
