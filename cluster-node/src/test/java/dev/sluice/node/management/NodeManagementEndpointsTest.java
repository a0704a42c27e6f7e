package dev.sluice.node.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.protocol.PartitionId;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Management of a real single node on free ports: {@code /metrics}, {@code /replicas}, {@code
 * /ready} and the MXBeans show the replicas' actual numbers after records were produced.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeManagementEndpointsTest {
  private static final int NODE_ID = 7;
  private static final PartitionId EVENTS_0 = new PartitionId("events", 0);
  private static final int RECORDS = 3;

  @TempDir static Path dir;
  private SluiceNode node;
  private int managementPort;
  private final HttpClient http = HttpClient.newHttpClient();
  private final MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();

  @BeforeAll
  void startNodeAndProduce() throws Exception {
    node = SluiceNode.start(TestNodes.singleNode(dir, Map.of("sluice.node.id", "" + NODE_ID)));
    // Started already by the node: this answers the bound address of that start.
    managementPort =
        PekkoManagement.get(node.system()).start().toCompletableFuture().get().getPort();
    HttpResponse<String> created =
        send(
            apiUri("/topics"),
            "application/json",
            HttpRequest.BodyPublishers.ofString("{\"name\":\"events\",\"partitions\":2}"));
    assertEquals(201, created.statusCode(), created.body());
    for (int i = 0; i < RECORDS; i++) {
      HttpResponse<String> produced =
          send(
              apiUri("/topics/events/partitions/0/records"),
              "application/octet-stream",
              HttpRequest.BodyPublishers.ofString("record " + i));
      assertEquals(200, produced.statusCode(), produced.body());
    }
  }

  @AfterAll
  void stopNode() throws Exception {
    ObjectName nodeBean = JmxRegistry.nodeName(NODE_ID);
    node.close();
    awaitCondition(() -> !jmx.isRegistered(nodeBean), "node MBean unregistered on stop");
    assertTrue(jmx.queryNames(new ObjectName("dev.sluice:node=" + NODE_ID + ",*"), null).isEmpty());
  }

  @Test
  void metricsShowTheReplicasNumbersInPrometheusFormat() throws Exception {
    HttpResponse<String> r = get("/metrics");
    assertEquals(200, r.statusCode(), r.body());
    String contentType = r.headers().firstValue("Content-Type").orElseThrow();
    assertTrue(contentType.startsWith("text/plain"), contentType);
    assertTrue(contentType.contains("version=0.0.4"), contentType);

    Scrape scrape = Scrape.parse(r.body());
    Map<String, String> leader0 = Map.of("topic", "events", "partition", "0", "role", "leader");
    Map<String, String> leader1 = Map.of("topic", "events", "partition", "1", "role", "leader");
    long size = leader(EVENTS_0).log().sizeInBytes();
    assertTrue(size > 0);
    assertEquals("gauge", scrape.type("sluice_replica_log_end_offset"));
    assertEquals(RECORDS, scrape.value("sluice_replica_log_end_offset", leader0));
    assertEquals(RECORDS, scrape.value("sluice_replica_high_watermark", leader0));
    assertEquals(0, scrape.value("sluice_replica_log_start_offset", leader0));
    assertEquals(size, scrape.value("sluice_replica_size_bytes", leader0));
    assertEquals(0, scrape.value("sluice_replica_lag_bytes", leader0));
    assertEquals(0, scrape.value("sluice_replica_stalled", leader0));
    assertEquals("counter", scrape.type("sluice_replica_stalls_total"));
    assertEquals(0, scrape.value("sluice_replica_stalls_total", leader0));
    assertEquals("counter", scrape.type("sluice_replica_bytes_received_total"));
    assertEquals(0, scrape.value("sluice_replica_bytes_received_total", leader0));
    assertEquals("counter", scrape.type("sluice_replica_resent_bytes_total"));
    assertEquals(0, scrape.value("sluice_replica_log_end_offset", leader1));
    Map<String, String> partition0 = Map.of("topic", "events", "partition", "0");
    assertEquals("gauge", scrape.type("sluice_partition_in_sync_replicas"));
    assertEquals(1, scrape.value("sluice_partition_in_sync_replicas", partition0));
    assertEquals(1, scrape.value("sluice_partition_replicas", partition0));

    assertEquals(1, scrape.value("sluice_node_ready"));
    assertEquals(2, scrape.value("sluice_node_replicas"));
    assertEquals("gauge", scrape.type("sluice_replication_recent_batch_bytes"));
    assertEquals("counter", scrape.type("sluice_watchdog_stalls_total"));
    assertEquals(0, scrape.value("sluice_watchdog_stalls_total"));
    assertEquals(0, scrape.value("sluice_watchdog_recoveries_total"));
    assertEquals("gauge", scrape.type("sluice_watchdog_stalled_replicas"));
    assertEquals(0, scrape.value("sluice_watchdog_unhealthy_replicas"));
    // One node, two partitions of one replica each: both led here, both fully in sync.
    assertEquals(2, scrape.value("sluice_partitions_led"));
    assertEquals("gauge", scrape.type("sluice_partitions_under_replicated"));
    assertEquals(0, scrape.value("sluice_partitions_under_replicated"));
    assertEquals(0, scrape.value("sluice_partitions_under_min_in_sync"));
    assertEquals(0, scrape.value("sluice_partitions_offline"));
    assertEquals(2, scrape.value("sluice_cluster_partitions"));
    assertEquals(0, scrape.value("sluice_cluster_partitions_under_replicated"));
    assertEquals(0, scrape.value("sluice_cluster_partitions_under_min_in_sync"));
    assertEquals(0, scrape.value("sluice_cluster_partitions_offline"));
    assertEquals("counter", scrape.type("sluice_leader_elections_total"));
    assertEquals(2, scrape.value("sluice_leader_elections_total"));
    assertEquals(0, scrape.value("sluice_in_sync_shrinks_total"));
    assertEquals(0, scrape.value("sluice_in_sync_expansions_total"));
    assertEquals("histogram", scrape.type("sluice_replication_round_trip_seconds"));
    assertEquals("histogram", scrape.type("sluice_log_force_seconds"));
  }

  @Test
  void metricsMeasureTheClientApiWithLatencyHistograms() throws Exception {
    HttpResponse<String> fetched =
        http.send(
            HttpRequest.newBuilder(apiUri("/topics/events/partitions/0/records/0")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, fetched.statusCode(), fetched.body());
    // Records as NDJSON: a chunked answer, whose bytes are counted as they are sent.
    HttpResponse<String> lines =
        http.send(
            HttpRequest.newBuilder(apiUri("/topics/events/partitions/0/records?offset=0"))
                .header("Accept", "application/x-ndjson")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, lines.statusCode(), lines.body());
    assertTrue(lines.headers().firstValue("Content-Length").isEmpty(), lines.headers().toString());
    HttpResponse<String> missing =
        http.send(
            HttpRequest.newBuilder(apiUri("/topics/nope")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(404, missing.statusCode());

    Scrape scrape = Scrape.parse(get("/metrics").body());
    String produce = "sluice_produce_latency_seconds";
    assertEquals("histogram", scrape.type(produce));
    Map<String, String> all = Map.of("acks", "all");
    assertEquals(RECORDS, scrape.value(produce + "_count", all));
    assertEquals(RECORDS, scrape.value(produce + "_bucket", Map.of("acks", "all", "le", "+Inf")));
    assertTrue(
        scrape.samples(produce + "_bucket", all).size() > 10,
        "a percentile histogram has many buckets:\n" + scrape);
    String fetch = "sluice_fetch_latency_seconds";
    assertEquals("histogram", scrape.type(fetch));
    assertEquals(1, scrape.value(fetch + "_count", Map.of("request", "record")));
    assertEquals(1, scrape.value(fetch + "_bucket", Map.of("request", "record", "le", "+Inf")));

    assertEquals("counter", scrape.type("sluice_bytes_in_total"));
    long valueBytes = 0;
    for (int i = 0; i < RECORDS; i++) {
      valueBytes += ("record " + i).length();
    }
    assertEquals(valueBytes, scrape.value("sluice_bytes_in_total", Map.of("topic", "events")));
    assertEquals("counter", scrape.type("sluice_bytes_out_total"));
    assertEquals(
        "record 0".length() + lines.body().getBytes(StandardCharsets.UTF_8).length,
        scrape.value("sluice_bytes_out_total", Map.of("topic", "events")));

    String requests = "sluice_http_requests_seconds";
    assertEquals("summary", scrape.type(requests));
    String records = "/topics/{topic}/partitions/{partition}/records";
    assertEquals(
        RECORDS,
        scrape.value(
            requests + "_count", Map.of("method", "POST", "route", records, "status", "200")));
    assertEquals(
        1,
        scrape.value(
            requests + "_count",
            Map.of("method", "GET", "route", "/topics/{topic}", "status", "404")));
    assertEquals(
        1,
        scrape.value(
            requests + "_count", Map.of("method", "POST", "route", "/topics", "status", "201")));
  }

  @Test
  void metricsHaveTheJvmAndProcessMeters() throws Exception {
    Scrape scrape = Scrape.parse(get("/metrics").body());
    for (String gauge :
        List.of(
            "jvm_memory_used_bytes",
            "jvm_threads_live_threads",
            "jvm_classes_loaded_classes",
            "process_cpu_usage",
            "process_uptime_seconds",
            "process_files_open_files")) {
      assertEquals("gauge", scrape.type(gauge), gauge);
    }
    assertEquals("counter", scrape.type("jvm_classes_unloaded_classes_total"));
    assertTrue(
        scrape.samples("jvm_memory_used_bytes", Map.of("area", "heap")).size() > 0, "heap pools");
  }

  @Test
  void replicasEndpointShowsStatusAndWatchdogHealth() throws Exception {
    HttpResponse<String> r = get("/replicas");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = ApiJson.mapper().readTree(r.body());
    assertEquals(NODE_ID, body.get("node").asInt());
    assertTrue(body.get("replicasHealthy").asBoolean());
    assertEquals(0, body.get("unhealthyReplicas").size());
    assertEquals(0, body.get("totalStalls").asLong());
    JsonNode replicas = body.get("replicas");
    assertEquals(2, replicas.size(), r.body());
    JsonNode first = replicas.get(0);
    assertEquals("events", first.get("topic").asText());
    assertEquals(0, first.get("partition").asInt());
    assertEquals(NODE_ID, first.get("leader").asInt());
    assertEquals(leader(EVENTS_0).log().sizeInBytes(), first.get("sizeBytes").asLong());
    JsonNode status = first.get("status");
    assertEquals("leader", status.get("role").asText());
    assertEquals(RECORDS, status.get("leo").asLong());
    assertEquals(RECORDS, status.get("hw").asLong());
    assertTrue(first.get("health").isNull(), "a leader is not watched: " + first);
    assertEquals(1, replicas.get(1).get("partition").asInt());
  }

  @Test
  void replicasEndpointShowsTheNodesStartAndEachReplicasCatchUpInstants() throws Exception {
    long now = System.currentTimeMillis();
    JsonNode body = ApiJson.mapper().readTree(get("/replicas").body());
    long jvmStart = body.get("jvmStartMillis").asLong();
    long memberUp = body.get("memberUpMillis").asLong();
    assertEquals(ManagementFactory.getRuntimeMXBean().getStartTime(), jvmStart);
    assertTrue(jvmStart <= memberUp && memberUp <= now, body.toString());
    assertTrue(
        node.system()
            .settings()
            .config()
            .getStringList("pekko.actor.typed.extensions")
            .contains(NodeStartTimes.Id.class.getName()),
        "created with the ActorSystem, before the node joins");
    JsonNode catchUp = body.get("replicas").get(0).get("catchUp");
    long opened = catchUp.get("logOpenedMillis").asLong();
    // The topic was created once the node was up: its logs were opened after the member was Up.
    assertTrue(memberUp <= opened && opened <= now, catchUp.toString());
    long inSync = catchUp.get("inSyncSinceMillis").asLong();
    assertTrue(opened <= inSync && inSync <= now, "the leader is in its in-sync set: " + catchUp);
    // A leader receives nothing: the follower's instants are unknown.
    assertEquals(-1, catchUp.get("handshakeAcceptedMillis").asLong());
    assertEquals(-1, catchUp.get("firstByteMillis").asLong());
    assertEquals(-1, catchUp.get("lastByteMillis").asLong());
  }

  @Test
  void mxBeansReadTheReplicaAndTheNode() throws Exception {
    ObjectName replica = JmxRegistry.replicaName(NODE_ID, EVENTS_0);
    assertEquals("dev.sluice:type=Replica,node=7,topic=events,partition=0", replica.toString());
    awaitCondition(() -> jmx.isRegistered(replica), "replica MBean registered");
    assertEquals("leader", jmx.getAttribute(replica, "Role"));
    assertEquals("leading", jmx.getAttribute(replica, "State"));
    assertEquals((long) RECORDS, jmx.getAttribute(replica, "LogEndOffset"));
    assertEquals((long) RECORDS, jmx.getAttribute(replica, "HighWatermark"));
    assertEquals(0L, jmx.getAttribute(replica, "LogStartOffset"));
    assertEquals(leader(EVENTS_0).log().sizeInBytes(), jmx.getAttribute(replica, "SizeBytes"));
    assertEquals(0L, jmx.getAttribute(replica, "LagBytes"));
    assertEquals(false, jmx.getAttribute(replica, "Stalled"));
    assertEquals(0, jmx.getAttribute(replica, "StallCount"));
    assertEquals("", jmx.getAttribute(replica, "LastError"));
    assertEquals(0L, jmx.getAttribute(replica, "BackoffMillis"));
    assertEquals(0L, jmx.getAttribute(replica, "BytesReceived"));
    assertEquals(0L, jmx.getAttribute(replica, "ResentBytes"));

    ObjectName nodeBean = new ObjectName("dev.sluice:type=Node,node=" + NODE_ID);
    assertEquals(true, jmx.getAttribute(nodeBean, "Ready"));
    assertEquals(2, jmx.getAttribute(nodeBean, "ReplicaCount"));
    assertEquals(0, jmx.getAttribute(nodeBean, "StalledReplicas"));
    assertEquals(0L, jmx.getAttribute(nodeBean, "TotalStalls"));
    assertEquals(0, ((String[]) jmx.getAttribute(nodeBean, "UnhealthyReplicas")).length);
    assertEquals(2, jmx.getAttribute(nodeBean, "LeaderPartitions"));
    assertEquals(0, jmx.getAttribute(nodeBean, "UnderReplicatedPartitions"));
    assertEquals(0, jmx.getAttribute(nodeBean, "UnderMinInSyncPartitions"));
    assertEquals(0, jmx.getAttribute(nodeBean, "OfflinePartitions"));
    assertEquals(2L, jmx.getAttribute(nodeBean, "LeaderElections"));
    assertEquals(0L, jmx.getAttribute(nodeBean, "InSyncShrinks"));
    assertEquals(0L, jmx.getAttribute(nodeBean, "InSyncExpansions"));
  }

  @Test
  void readyAndAliveAnswerOk() throws Exception {
    assertEquals(200, get("/ready").statusCode());
    assertEquals(200, get("/alive").statusCode());
  }

  @Test
  void managementRoutesAreReadOnly() throws Exception {
    HttpResponse<String> r =
        send(managementUri("/metrics"), "text/plain", HttpRequest.BodyPublishers.ofString("x"));
    assertFalse(r.statusCode() < 300, "POST /metrics answered " + r.statusCode());
  }

  private PartitionReplica leader(PartitionId tp) {
    return node.replicas().get(tp).orElseThrow();
  }

  private URI apiUri(String path) {
    return URI.create("http://127.0.0.1:" + node.apiPort() + path);
  }

  private URI managementUri(String path) {
    return URI.create("http://127.0.0.1:" + managementPort + path);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(managementUri(path)).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private HttpResponse<String> send(URI uri, String contentType, HttpRequest.BodyPublisher body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri)
            .header("Content-Type", contentType)
            .timeout(Duration.ofSeconds(30))
            .POST(body)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void awaitCondition(BooleanSupplier condition, String what)
      throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(20);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(20); // polling interval of a condition wait, not a synchronisation guess
    }
  }
}
