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

    String body = r.body();
    String leader0 = "{topic=\"events\",partition=\"0\",role=\"leader\"}";
    String leader1 = "{topic=\"events\",partition=\"1\",role=\"leader\"}";
    long size = leader(EVENTS_0).log().sizeInBytes();
    assertTrue(size > 0);
    assertLine(body, "# TYPE sluice_replica_log_end_offset gauge");
    assertLine(body, "sluice_replica_log_end_offset" + leader0 + " " + RECORDS);
    assertLine(body, "sluice_replica_high_watermark" + leader0 + " " + RECORDS);
    assertLine(body, "sluice_replica_size_bytes" + leader0 + " " + size);
    assertLine(body, "sluice_replica_lag_bytes" + leader0 + " 0");
    assertLine(body, "sluice_replica_stalled" + leader0 + " 0");
    assertLine(body, "# TYPE sluice_replica_stalls_total counter");
    assertLine(body, "sluice_replica_stalls_total" + leader0 + " 0");
    assertLine(body, "# TYPE sluice_replica_bytes_received_total counter");
    assertLine(body, "sluice_replica_bytes_received_total" + leader0 + " 0");
    assertLine(body, "# TYPE sluice_replica_resent_bytes_total counter");
    assertLine(body, "sluice_replica_log_end_offset" + leader1 + " 0");
    assertLine(body, "# HELP sluice_node_ready " + helpOf(body, "sluice_node_ready"));
    assertLine(body, "sluice_node_ready 1");
    assertLine(body, "# TYPE sluice_watchdog_stalls_total counter");
    assertLine(body, "sluice_watchdog_stalls_total 0");
    // One node, two partitions of one replica each: both led here, both fully in sync.
    assertLine(body, "sluice_partitions_led 2");
    assertLine(body, "# TYPE sluice_partitions_under_replicated gauge");
    assertLine(body, "sluice_partitions_under_replicated 0");
    assertLine(body, "sluice_partitions_under_min_in_sync 0");
    assertLine(body, "sluice_partitions_offline 0");
    assertLine(body, "# TYPE sluice_leader_elections_total counter");
    assertLine(body, "sluice_leader_elections_total 2");
    assertLine(body, "sluice_in_sync_shrinks_total 0");
    assertLine(body, "sluice_in_sync_expansions_total 0");
  }

  @Test
  void replicasEndpointShowsStatusAndWatchdogHealth() throws Exception {
    HttpResponse<String> r = get("/replicas");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = ApiJson.mapper().readTree(r.body());
    assertEquals(NODE_ID, body.get("node").asInt());
    assertTrue(body.get("ready").asBoolean());
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

  private static void assertLine(String body, String line) {
    assertTrue(body.lines().anyMatch(line::equals), "no line \"" + line + "\" in:\n" + body);
  }

  private static String helpOf(String body, String metric) {
    String prefix = "# HELP " + metric + " ";
    return body.lines()
        .filter(l -> l.startsWith(prefix))
        .findFirst()
        .map(l -> l.substring(prefix.length()))
        .orElseThrow(() -> new AssertionError("no HELP for " + metric + " in:\n" + body));
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
