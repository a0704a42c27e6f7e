package dev.sluice.node.management;

import dev.sluice.api.ReplicaRole;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.node.replica.ReplicaStatus;
import dev.sluice.replication.leader.LeaderCounters;
import dev.sluice.replication.leader.LeaderView;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.watchdog.WatchdogState;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The node's metrics: one Micrometer registry in the Prometheus format, scraped at {@code GET
 * /metrics} ({@link MetricsRouteProvider}). It holds
 *
 * <ul>
 *   <li>the JVM's and the process's: memory, GC, threads, class loading, CPU, uptime, file
 *       descriptors (Micrometer's binders);
 *   <li>the client API's (produce and fetch latency histograms, requests by status, bytes in and
 *       out), recorded by {@link dev.sluice.node.http.ApiMetrics} into {@link #registry()};
 *   <li>the node's: readiness, replicas, the stall watchdog's counts, partitions led and their
 *       health, the cluster's partition health from the applied metadata ({@link ClusterHealth}),
 *       leader and in-sync counters, the replication round trip its leaders measure, and the
 *       duration of its logs' forces;
 *   <li>one set per local replica (topic, partition, role) and, on a leader, per partition.
 * </ul>
 *
 * <p>Gauges and function counters read the node's components when scraped; nothing is copied. The
 * per-replica meters follow the replicas: {@link #scrape} first registers the meters of new
 * replicas or roles and removes those of closed ones, so a scrape never shows a replica that is
 * gone nor misses one that opened.
 *
 * <p>Thread-safety: Micrometer's registry is thread-safe; the replica bookkeeping is guarded by
 * this object's monitor (scrapes are rare, and no other code runs under it).
 */
public final class NodeMetrics implements AutoCloseable {
  /** The content type of {@link #scrape}: the Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  static final String ROUND_TRIP = "sluice.replication.round.trip";
  static final String LOG_FORCE = "sluice.log.force";

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;
  private final int minInSyncReplicas;
  private final Map<ReplicaKey, List<Meter>> replicaMeters = new HashMap<>();
  private volatile NodeState.Components node;
  private boolean closed;

  /** The meters of one replica in one role; a role change replaces them. */
  private record ReplicaKey(PartitionId partition, String role) {}

  private NodeMetrics(int minInSyncReplicas) {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.minInSyncReplicas = minInSyncReplicas;
    new JvmMemoryMetrics().bindTo(registry);
    this.gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  /**
   * A registry with the JVM and process meters; the node's own follow with {@link #bind}.
   *
   * @param minInSyncReplicas the node's {@code sluice.replication.min-in-sync-replicas}, for the
   *     cluster's under-min-in-sync count
   */
  public static NodeMetrics create(int minInSyncReplicas) {
    return new NodeMetrics(minInSyncReplicas);
  }

  /** Where the node's components record (the client API's meters). */
  public MeterRegistry registry() {
    return registry;
  }

  /**
   * Registers the node's meters over its components; {@code ready} is what {@code /ready} answers.
   *
   * @throws IllegalStateException when already bound: one node per registry
   */
  synchronized void bind(NodeState.Components components, BooleanSupplier ready) {
    if (node != null) {
      throw new IllegalStateException(
          "metrics of node " + node.nodeId() + " cannot also bind node " + components.nodeId());
    }
    node = components;
    WatchdogState watchdog = components.watchdog();
    gauge(
        "sluice.node.ready",
        "1 while the node is ready (GET /ready), else 0.",
        ready,
        r -> r.getAsBoolean() ? 1 : 0);
    gauge(
        "sluice.node.replicas",
        "Replicas open on this node.",
        components,
        c -> c.replicas().all().size());
    gauge(
        "sluice.replication.recent.batch.bytes",
        "Bytes of just-appended batches this node's leaders keep in memory for their followers"
            + " (above the high watermark; at most 1 MiB per partition and "
            + LocalReplicas.RECENT_BATCH_BYTES
            + " bytes per node).",
        components,
        c -> c.replicas().recentBatchBytes());
    gauge(
        "sluice.watchdog.stalled.replicas",
        "Local replicas the stall watchdog considers stalled now.",
        watchdog,
        WatchdogState::stalledReplicas);
    gauge(
        "sluice.watchdog.unhealthy.replicas",
        "Local replicas the stall watchdog escalated to unhealthy (stalled again and again despite"
            + " transfer restarts and smaller frames). They do not make the node unready.",
        watchdog,
        w -> w.unhealthyReplicas().size());
    counter(
        "sluice.watchdog.stalls",
        "Stalls detected on this node.",
        watchdog,
        WatchdogState::totalStalls);
    counter(
        "sluice.watchdog.recoveries",
        "Stall episodes that ended with the replica moving again.",
        watchdog,
        WatchdogState::recoveries);

    gauge(
        "sluice.partitions.led",
        "Partitions this node leads.",
        components,
        c -> c.partitionHealth().leaders());
    gauge(
        "sluice.partitions.under.replicated",
        "Partitions this node leads whose in-sync set is smaller than their replicas.",
        components,
        c -> c.partitionHealth().underReplicated());
    gauge(
        "sluice.partitions.under.min.in.sync",
        "Partitions this node leads with fewer in-sync replicas than min-in-sync-replicas: acks=all"
            + " writes are refused.",
        components,
        c -> c.partitionHealth().underMinInSync());
    gauge(
        "sluice.partitions.offline",
        "Partitions of the cluster without a leader, as this node's metadata shows them (same as"
            + " sluice_cluster_partitions_offline).",
        components,
        c -> c.partitionHealth().offline());

    gauge(
        "sluice.cluster.partitions",
        "Partitions of the cluster, as this node's metadata shows them.",
        this,
        m -> m.clusterHealth().total());
    gauge(
        "sluice.cluster.partitions.under.replicated",
        "Partitions of the cluster whose in-sync set is smaller than their replicas (the same on"
            + " every node: take the maximum, not the sum).",
        this,
        m -> m.clusterHealth().underReplicated().size());
    gauge(
        "sluice.cluster.partitions.under.min.in.sync",
        "Partitions of the cluster with fewer in-sync replicas than min-in-sync-replicas.",
        this,
        m -> m.clusterHealth().underMinInSync().size());
    gauge(
        "sluice.cluster.partitions.offline",
        "Partitions of the cluster without a leader (no eligible in-sync replica is live).",
        this,
        m -> m.clusterHealth().offline().size());

    LeaderCounters counters = components.replicas().leaderCounters();
    counter(
        "sluice.leader.elections",
        "Leader terms this node started: elections it won.",
        counters,
        LeaderCounters::leaderships);
    counter(
        "sluice.in.sync.shrinks",
        "Replicas removed from the in-sync sets of partitions this node led.",
        counters,
        LeaderCounters::inSyncShrinks);
    counter(
        "sluice.in.sync.expansions",
        "Replicas added to the in-sync sets of partitions this node led.",
        counters,
        LeaderCounters::inSyncExpansions);
    Timer roundTrip =
        Timer.builder(ROUND_TRIP)
            .description(
                "From a leader's append to an in-sync follower's report that covers it, per"
                    + " follower: what acks=all waits for beyond the leader's own write.")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    counters.onRoundTrip(nanos -> roundTrip.record(nanos, TimeUnit.NANOSECONDS));
    Timer force =
        Timer.builder(LOG_FORCE)
            .description(
                "Each fdatasync of a segment file of this node's replicas, leaders and followers:"
                    + " with flush = every-batch, what every acknowledgement waits for on each"
                    + " in-sync replica.")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    components.replicas().onForce(nanos -> force.record(nanos, TimeUnit.NANOSECONDS));
  }

  /** The registry in the Prometheus text format ({@link #CONTENT_TYPE}), replica meters synced. */
  public String scrape() {
    syncReplicas();
    return registry.scrape();
  }

  private ClusterHealth clusterHealth() {
    NodeState.Components c = node;
    return c == null
        ? ClusterHealth.UNKNOWN
        : ClusterHealth.of(c.metadata().get(), minInSyncReplicas);
  }

  /** Registers the meters of new replicas (or roles) and removes those of closed ones. */
  synchronized void syncReplicas() {
    if (node == null || closed) {
      return;
    }
    Map<ReplicaKey, PartitionReplica> open = new HashMap<>();
    for (PartitionReplica r : node.replicas().all()) {
      ReplicaRole role = r.isLeader() ? ReplicaRole.LEADER : ReplicaRole.FOLLOWER;
      open.put(new ReplicaKey(r.partitionId(), role.label()), r);
    }
    replicaMeters
        .entrySet()
        .removeIf(
            e -> {
              if (open.containsKey(e.getKey())) {
                return false;
              }
              e.getValue().forEach(registry::remove);
              return true;
            });
    for (ReplicaKey key : open.keySet()) {
      replicaMeters.computeIfAbsent(key, this::registerReplica);
    }
  }

  private List<Meter> registerReplica(ReplicaKey key) {
    PartitionId tp = key.partition();
    Tags tags =
        Tags.of(
            "topic", tp.topic(), "partition", Integer.toString(tp.partition()), "role", key.role());
    List<Meter> meters = new ArrayList<>();
    meters.add(
        replicaGauge(
            "sluice.replica.log.end.offset",
            "Offset the next record appended to the replica gets.",
            tags,
            tp,
            ReplicaStatus::leo));
    meters.add(
        replicaGauge(
            "sluice.replica.high.watermark",
            "Offset up to which the replica's records are committed.",
            tags,
            tp,
            ReplicaStatus::hw));
    meters.add(
        replicaGauge(
            "sluice.replica.log.start.offset",
            "First offset still in the replica's log.",
            tags,
            tp,
            ReplicaStatus::logStartOffset));
    meters.add(
        replicaGauge(
            "sluice.replica.size.bytes",
            "Bytes of all segments of the replica's log.",
            tags,
            tp,
            ReplicaStatus::sizeBytes));
    meters.add(
        replicaGauge(
            "sluice.replica.stalled",
            "1 while the watchdog considers the replica stalled, else 0.",
            tags,
            tp,
            s -> s.stalled() ? 1 : 0));
    meters.add(
        replicaCounter(
            "sluice.replica.stalls",
            "Stalls the watchdog detected on the replica while it followed.",
            tags,
            tp,
            ReplicaStatus::totalStalls));
    meters.add(
        replicaCounter(
            "sluice.replica.bytes.received",
            "Replication bytes the replica received while following.",
            tags,
            tp,
            ReplicaStatus::bytesReceived));
    meters.add(
        replicaCounter(
            "sluice.replica.resent.bytes",
            "Received bytes the replica already held: the cost of restarted transfers.",
            tags,
            tp,
            ReplicaStatus::resentBytes));
    if (key.role().equals(ReplicaRole.LEADER.label())) {
      // Only the leader measures lag and keeps the in-sync set; a follower's numbers would repeat
      // (or contradict) its leader's.
      meters.add(
          replicaGauge(
              "sluice.replica.lag.bytes",
              "Bytes the replica is behind its leader: 0 on the leader, which is the only role that knows.",
              tags,
              tp,
              ReplicaStatus::lagBytes));
      Tags partitionTags =
          Tags.of("topic", tp.topic(), "partition", Integer.toString(tp.partition()));
      meters.add(
          Gauge.builder(
                  "sluice.partition.in.sync.replicas",
                  () -> leaderView(tp).map(v -> (Number) v.inSync().size()).orElse(Double.NaN))
              .description(
                  "Replicas in the partition's committed in-sync set, leader included; reported by its leader.")
              .tags(partitionTags)
              .register(registry));
      meters.add(
          Gauge.builder(
                  "sluice.partition.replicas",
                  () -> replica(tp).map(r -> (Number) r.replicas().size()).orElse(Double.NaN))
              .description("Replicas the partition has; reported by its leader.")
              .tags(partitionTags)
              .register(registry));
    }
    return meters;
  }

  private Optional<PartitionReplica> replica(PartitionId tp) {
    return node.replicas().get(tp);
  }

  private Optional<LeaderView> leaderView(PartitionId tp) {
    return replica(tp).map(PartitionReplica::leaderView).filter(LeaderView::leading);
  }

  /** The replica's status now, empty once it closed (its gauges then read NaN until removed). */
  private Optional<ReplicaStatus> status(PartitionId tp) {
    return replica(tp).map(r -> ReplicaStatus.of(r, node.watchdog()));
  }

  private Meter replicaGauge(
      String name, String help, Tags tags, PartitionId tp, ToDoubleFunction<ReplicaStatus> value) {
    return Gauge.builder(
            name, () -> status(tp).map(s -> (Number) value.applyAsDouble(s)).orElse(Double.NaN))
        .description(help)
        .tags(tags)
        .register(registry);
  }

  private Meter replicaCounter(
      String name, String help, Tags tags, PartitionId tp, ToDoubleFunction<ReplicaStatus> value) {
    return FunctionCounter.builder(name, tp, p -> status(p).map(value::applyAsDouble).orElse(0.0))
        .description(help)
        .tags(tags)
        .register(registry);
  }

  private <T> void gauge(String name, String help, T source, ToDoubleFunction<T> value) {
    Gauge.builder(name, source, value).description(help).strongReference(true).register(registry);
  }

  private <T> void counter(String name, String help, T source, ToDoubleFunction<T> value) {
    FunctionCounter.builder(name, source, value).description(help).register(registry);
  }

  /** Stops the GC listener and the registry. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    gc.close();
    registry.close();
  }
}
