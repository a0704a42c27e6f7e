package dev.sluice.node.management;

import dev.sluice.node.NodeConfig;
import dev.sluice.node.http.Json;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.node.replica.TopicPartition;
import dev.sluice.replication.watchdog.WatchdogState;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * {@code GET /replicas} on the management port: every local replica's full status (including, on a
 * leader, how many bytes each follower is behind) and the watchdog's health of it, as JSON.
 * Configured as {@code pekko.management.http.routes.sluice-replicas}; pekko-management creates it.
 * Read-only.
 *
 * <p>A leader's status takes the replica's monitor and scans its log for follower lag, so the
 * answer is built on the blocking-IO dispatcher, never on the HTTP server's threads.
 */
public final class ReplicasRouteProvider extends AllDirectives implements ManagementRouteProvider {
  private final NodeState state;
  private final Executor blocking;

  public ReplicasRouteProvider(ExtendedActorSystem system) {
    this.state = NodeState.get(system);
    this.blocking = system.dispatchers().lookup(NodeConfig.BLOCKING_IO_DISPATCHER);
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return path("replicas", () -> get(() -> completeWithFuture(replicas())));
  }

  private CompletionStage<HttpResponse> replicas() {
    return CompletableFuture.supplyAsync(
        () ->
            state
                .components()
                .map(node -> Json.ok(describe(node)))
                .orElseGet(
                    () ->
                        Json.response(
                            503, Map.of("error", "the node has not published its replicas yet"))),
        blocking);
  }

  static Map<String, Object> describe(NodeState.Components node) {
    WatchdogState watchdog = node.watchdog();
    List<Map<String, Object>> replicas =
        node.replicas().all().stream()
            .sorted(
                Comparator.comparing((PartitionReplica r) -> r.topicPartition().topic())
                    .thenComparingInt(r -> r.topicPartition().partition()))
            .map(r -> describe(r, watchdog))
            .toList();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("node", node.nodeId());
    body.put("ready", watchdog.ready());
    body.put("unhealthyReplicas", watchdog.unhealthyReplicas());
    body.put("stalledReplicas", watchdog.stalledReplicas());
    body.put("totalStalls", watchdog.totalStalls());
    body.put("recoveries", watchdog.recoveries());
    body.put("replicas", replicas);
    return body;
  }

  private static Map<String, Object> describe(PartitionReplica replica, WatchdogState watchdog) {
    TopicPartition tp = replica.topicPartition();
    ReplicaView view = ReplicaView.of(replica, watchdog);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("topic", tp.topic());
    body.put("partition", tp.partition());
    body.put("leader", replica.leader());
    body.put("leaderEpoch", replica.leaderEpoch());
    body.put("replicas", replica.replicas());
    body.put("inSync", replica.inSync());
    body.put("sizeBytes", view.sizeBytes());
    body.put("segmentCount", view.segmentCount());
    body.put("bytesReceived", view.bytesReceived());
    body.put("resentBytes", view.resentBytes());
    body.put("status", replica.status());
    body.put("health", watchdog.replica(tp.dirName()).orElse(null));
    return body;
  }
}
