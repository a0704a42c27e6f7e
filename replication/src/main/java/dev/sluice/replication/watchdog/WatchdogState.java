package dev.sluice.replication.watchdog;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The watchdog's conclusions, published for readers that must not ask an actor: JMX getters,
 * metrics and the status pages. One {@link StallWatchdog} writes (through the package-private
 * methods), any thread reads; reads never block and each returns a value that was true at some
 * moment of the call (the per-replica values are immutable records).
 */
public final class WatchdogState {
  private final ConcurrentHashMap<String, ReplicaHealth> replicas = new ConcurrentHashMap<>();
  private final AtomicLong totalStalls = new AtomicLong();
  private final AtomicLong recoveries = new AtomicLong();

  /**
   * False while any watched replica is at the top escalation level (stalled 3 times or more). Not
   * the node's readiness: one stuck follower does not stop the node from serving.
   */
  public boolean ready() {
    for (ReplicaHealth h : replicas.values()) {
      if (!h.healthy()) {
        return false;
      }
    }
    return true;
  }

  /** The unhealthy replicas' names, sorted: what a not-ready answer should name. */
  public List<String> unhealthyReplicas() {
    return replicas.values().stream()
        .filter(h -> !h.healthy())
        .map(ReplicaHealth::name)
        .sorted()
        .toList();
  }

  /** Every watched replica by name, sorted; a copy. */
  public Map<String, ReplicaHealth> replicas() {
    return Collections.unmodifiableMap(new TreeMap<>(replicas));
  }

  public Optional<ReplicaHealth> replica(String name) {
    return Optional.ofNullable(replicas.get(name));
  }

  /** Replicas currently stalled (at any escalation level). */
  public int stalledReplicas() {
    return (int) replicas.values().stream().filter(ReplicaHealth::stalled).count();
  }

  /** Stalls detected on this node since start (a counter: never decreases). */
  public long totalStalls() {
    return totalStalls.get();
  }

  /** Stall episodes that ended with the replica moving again (a counter). */
  public long recoveries() {
    return recoveries.get();
  }

  void update(ReplicaHealth health) {
    replicas.put(health.name(), health);
  }

  void remove(String name) {
    replicas.remove(name);
  }

  void stallDetected() {
    totalStalls.incrementAndGet();
  }

  void recovered() {
    recoveries.incrementAndGet();
  }
}
