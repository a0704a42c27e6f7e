package dev.sluice.node.management;

import dev.sluice.api.ErrorBody;
import dev.sluice.node.http.HttpJson;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.node.replica.ReplicaStatus;
import dev.sluice.replication.BlockingIo;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.protocol.PartitionId;
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
 * <p>A leader's follower lag costs one batch header read per follower ({@link
 * ReplicaStatus#withFollowerLag}), under the log's structure lock, so the answer is built on the
 * blocking-IO dispatcher, never on the HTTP server's threads.
 *
 * <p>Also the node's start instants ({@link NodeStartTimes}) and each replica's catch-up instants,
 * in epoch milliseconds, for {@code sluice bench catchup}'s phases.
 *
 * <p>The JSON is written out field by field here: it is the management page's format, which
 * operators' scripts read, and it must not follow every change of {@link ReplicaStatus}.
 *
 * <p>Thread-safety: stateless between requests.
 */
public final class ReplicasRouteProvider extends AllDirectives implements ManagementRouteProvider {
  private final NodeState state;
  private final NodeStartTimes startTimes;
  private final Executor blocking;

  public ReplicasRouteProvider(ExtendedActorSystem system) {
    this.state = NodeState.get(system);
    this.startTimes = NodeStartTimes.get(system);
    this.blocking = system.dispatchers().lookup(BlockingIo.DISPATCHER_ID);
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
                .map(node -> HttpJson.ok(describe(node, startTimes)))
                .orElseGet(
                    () ->
                        HttpJson.response(
                            503, new ErrorBody("the node has not published its replicas yet"))),
        blocking);
  }

  static Map<String, Object> describe(NodeState.Components node, NodeStartTimes startTimes) {
    WatchdogState watchdog = node.watchdog();
    List<Map<String, Object>> replicas =
        node.replicas().all().stream()
            .sorted(
                Comparator.comparing((PartitionReplica r) -> r.partitionId().topic())
                    .thenComparingInt(r -> r.partitionId().partition()))
            .map(r -> describe(r, watchdog))
            .toList();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("node", node.nodeId());
    body.put("replicasHealthy", watchdog.ready());
    body.put("unhealthyReplicas", watchdog.unhealthyReplicas());
    body.put("stalledReplicas", watchdog.stalledReplicas());
    body.put("totalStalls", watchdog.totalStalls());
    body.put("recoveries", watchdog.recoveries());
    body.put("jvmStartMillis", startTimes.jvmStartMillis());
    body.put("memberUpMillis", startTimes.memberUpMillis());
    body.put("replicas", replicas);
    return body;
  }

  private static Map<String, Object> describe(PartitionReplica replica, WatchdogState watchdog) {
    ReplicaStatus status = ReplicaStatus.withFollowerLag(replica, watchdog);
    PartitionId partition = status.partition();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("topic", partition.topic());
    body.put("partition", partition.partition());
    body.put("leader", replica.leader());
    body.put("leaderEpoch", replica.leaderEpoch());
    body.put("replicas", replica.replicas());
    body.put("inSync", replica.inSync());
    body.put("sizeBytes", status.sizeBytes());
    body.put("segmentCount", status.segmentCount());
    body.put("bytesReceived", status.bytesReceived());
    body.put("resentBytes", status.resentBytes());
    body.put("status", statusJson(status));
    body.put("health", watchdog.replica(partition.dirName()).orElse(null));
    body.put("catchUp", catchUpJson(replica));
    return body;
  }

  /**
   * The replica's catch-up instants in epoch milliseconds, -1 for one that did not happen (the
   * follower ones are -1 on a leader): log opened, first leader frame after a handshake, first and
   * latest record bytes received, and since when the applied in-sync set names this node.
   */
  private static Map<String, Object> catchUpJson(PartitionReplica replica) {
    FollowerStatus.CatchUpInstants follower =
        replica
            .followerStatus()
            .map(FollowerStatus::catchUpInstants)
            .orElse(
                new FollowerStatus.CatchUpInstants(
                    FollowerStatus.UNKNOWN, FollowerStatus.UNKNOWN, FollowerStatus.UNKNOWN));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("logOpenedMillis", replica.openedMillis());
    json.put("handshakeAcceptedMillis", follower.handshakeAcceptedMillis());
    json.put("firstByteMillis", follower.firstByteMillis());
    json.put("lastByteMillis", follower.lastByteMillis());
    json.put("inSyncSinceMillis", replica.inSyncSinceMillis());
    return json;
  }

  /** The {@code status} object of one replica. */
  private static Map<String, Object> statusJson(ReplicaStatus status) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("node", status.node());
    json.put("role", status.role());
    json.put("leo", status.leo());
    json.put("hw", status.hw());
    json.put("state", status.state());
    json.put("lagBytes", status.lagBytes());
    json.put("logStartOffset", status.logStartOffset());
    json.put("followerLagBytes", status.followerLagBytes());
    json.put("lastError", status.lastError());
    json.put("backoffMillis", status.backoffMillis());
    json.put("stalled", status.stalled());
    json.put("stallCount", status.stallCount());
    return json;
  }
}
