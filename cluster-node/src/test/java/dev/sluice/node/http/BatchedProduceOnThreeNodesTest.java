package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.format.Header;
import dev.sluice.log.PartitionLog;
import dev.sluice.node.TestCluster;
import dev.sluice.replication.protocol.PartitionId;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batched produce on three nodes: a node that does not lead the partition sends the client to the
 * leader (the client resends the body), and {@code acks=all} answers once every in-sync replica
 * holds the whole batch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchedProduceOnThreeNodesTest {
  private static final String TOPIC = "batches";
  private static final PartitionId TP = new PartitionId(TOPIC, 0);

  @TempDir static Path dir;
  private TestCluster cluster;

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aFollowerRedirectsTheBatchAndAcksAllAnswersOnceEveryInSyncReplicaHoldsIt() throws Exception {
    cluster = TestCluster.start(dir, 3, Map.of());
    cluster.awaitCondition(
        () ->
            cluster
                    .post(
                        1,
                        "/topics",
                        "{\"name\":\"" + TOPIC + "\",\"partitions\":1,\"replicationFactor\":3}")
                    .statusCode()
                == 201,
        "topic created");
    cluster.awaitCondition(
        () -> cluster.describe(1, TOPIC).get("partitions").get(0).get("inSync").size() == 3,
        "all three replicas in sync");
    int leader = cluster.describe(1, TOPIC).get("partitions").get(0).get("leader").asInt();
    int follower = leader == 1 ? 2 : 1;

    String body =
        BatchedProduceTest.line(new byte[] {1}, new byte[] {10}, List.of(new Header("h", null)))
            + "\n"
            + BatchedProduceTest.line(null, null, List.of())
            + "\n"
            + BatchedProduceTest.line(new byte[] {3}, new byte[] {30, 31}, List.of())
            + "\n";
    String path = "/topics/" + TOPIC + "/partitions/0/records?acks=all";

    HttpResponse<String> redirected = cluster.send(ndjson(cluster.uri(follower, path), body));
    assertEquals(307, redirected.statusCode(), redirected.body());
    String location = redirected.headers().firstValue("Location").orElseThrow();
    assertEquals(cluster.uri(leader, path).toString(), location);
    for (int node = 1; node <= 3; node++) {
      assertEquals(0, log(node).logEndOffset(), "nothing appended before the resend");
    }

    HttpResponse<String> written = cluster.send(ndjson(URI.create(location), body));
    assertEquals(200, written.statusCode(), written.body());
    JsonNode answer = TestCluster.JSON.readTree(written.body());
    assertEquals(0, answer.get("offset").asLong());
    assertEquals(2, answer.get("lastOffset").asLong());
    assertEquals(3, answer.get("count").asInt());
    // acks=all: the HW passed the last record, so every in-sync replica already holds the batch
    assertTrue(log(leader).highWatermark() >= 3, "leader HW " + log(leader).highWatermark());
    for (int node = 1; node <= 3; node++) {
      assertEquals(3, log(node).logEndOffset(), "log end of node " + node);
      assertArrayEquals(
          new byte[] {30, 31}, log(node).locate(2).orElseThrow().readValue(), "node " + node);
    }
  }

  private PartitionLog log(int node) {
    return cluster.node(node).replicas().get(TP).orElseThrow().log();
  }

  private static HttpRequest ndjson(URI uri, String body) {
    return HttpRequest.newBuilder(uri)
        .header("Content-Type", "application/x-ndjson")
        .POST(BodyPublishers.ofString(body))
        .build();
  }
}
