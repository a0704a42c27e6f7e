package dev.sluice.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Samples the high watermark of every replica of a {@link NodeCluster} while faults happen, into a
 * {@link HighWatermarkHistory} (which states what counts as a decrease and why).
 *
 * <p>One thread per node polls that node's management {@code GET /replicas} (its own replicas' high
 * watermarks, as the replica itself holds them) and {@code /cluster/members} (the uid of its actor
 * system, which names the incarnation) every {@code interval}. A sample counts only if the uid read
 * just before it and the uid read just after it agree, so a sample taken while the node restarts is
 * dropped rather than attributed to the wrong incarnation. A paused or stopped node is skipped.
 *
 * <p>Thread-safety: the pollers write to the history, which is thread-safe; {@link #close} stops
 * them and returns once none can record any more.
 */
final class HighWatermarkMonitor implements AutoCloseable {
  private final NodeCluster cluster;
  private final Duration interval;
  private final HighWatermarkHistory history = new HighWatermarkHistory();
  private final List<Thread> pollers = new ArrayList<>();
  private volatile boolean running = true;
  private volatile String shapeProblem;

  HighWatermarkMonitor(NodeCluster cluster, Duration interval) {
    this.cluster = cluster;
    this.interval = interval;
  }

  HighWatermarkMonitor start() {
    for (int node : cluster.nodes()) {
      Thread t = new Thread(() -> poll(node), "hw-monitor-node-" + node);
      t.setDaemon(true);
      t.start();
      pollers.add(t);
    }
    return this;
  }

  private void poll(int node) {
    Optional<String> before = Optional.empty();
    JsonNode pending = null;
    while (running) {
      Optional<String> uid =
          cluster.isResponsive(node) ? cluster.selfUid(node) : Optional.<String>empty();
      if (pending != null && before.isPresent() && before.equals(uid) && running) {
        record(node, before.get(), pending);
      }
      pending = uid.isPresent() ? cluster.localReplicas(node).orElse(null) : null;
      before = uid;
      try {
        Thread.sleep(interval.toMillis()); // the sampling period
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void record(int node, String incarnation, JsonNode replicas) {
    Instant now = Instant.now();
    for (JsonNode r : replicas.path("replicas")) {
      JsonNode hw = r.path("status").path("hw");
      if (!hw.isIntegralNumber()) {
        shapeProblem = "node " + node + " /replicas has no status.hw: " + r;
        continue;
      }
      String partition = r.path("topic").asText() + "-" + r.path("partition").asInt();
      history.record(node, incarnation, partition, hw.asLong(), now);
    }
  }

  HighWatermarkHistory history() {
    return history;
  }

  List<HighWatermarkHistory.Decrease> decreases() {
    return history.decreases();
  }

  /** Set when the management answer lacks the fields this monitor reads: it then sees nothing. */
  Optional<String> shapeProblem() {
    return Optional.ofNullable(shapeProblem);
  }

  String summary() {
    return history.summary();
  }

  /** Stops the pollers and waits for them, so that no sample is recorded after this returns. */
  @Override
  public void close() {
    running = false;
    for (Thread t : pollers) {
      t.interrupt();
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
