package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.node.replica.ReplicaDirectories;
import dev.sluice.replication.protocol.PartitionId;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topic lifecycle through one real node's client API: settings given at creation and changed
 * later (checked with the node rules, shown by describe, applied by the replica), partitions added
 * but never removed, and a delete after which the topic answers 404, its directories are gone, and
 * its name can be used again by a new, empty topic.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TopicLifecycleNodeTest {

  @TempDir static Path dir;
  private TestCluster cluster;

  @BeforeAll
  void startNode() throws Exception {
    cluster =
        TestCluster.start(
            dir,
            1,
            Map.of(
                "sluice.storage.segment-bytes", "64KiB",
                "sluice.storage.max-batch-bytes", "32KiB"));
  }

  @AfterAll
  void stopNode() {
    cluster.close();
  }

  private HttpResponse<String> send(String method, String path, String json) {
    HttpRequest.BodyPublisher body =
        json == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(json);
    return cluster.send(
        HttpRequest.newBuilder(cluster.uri(1, path))
            .header("Content-Type", "application/json")
            .method(method, body)
            .build());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return TestCluster.JSON.readTree(r.body());
  }

  private HttpResponse<String> produce(String topic, int partition, int bytes) {
    return cluster.send(
        HttpRequest.newBuilder(
                cluster.uri(1, "/topics/" + topic + "/partitions/" + partition + "/records"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[bytes]))
            .build());
  }

  @Test
  void settingsAreCheckedShownAndApplied() throws Exception {
    HttpResponse<String> created =
        cluster.post(
            1,
            "/topics",
            "{\"name\":\"small\",\"partitions\":1,\"config\":{\"max-batch-bytes\":\"2KiB\"}}");
    assertEquals(201, created.statusCode(), created.body());
    assertEquals("2KiB", json(created).get("config").get("max-batch-bytes").asText());

    // The topic's own batch limit, not the node's 32 KiB.
    HttpResponse<String> tooLarge = produce("small", 0, 4096);
    assertEquals(413, tooLarge.statusCode(), tooLarge.body());
    assertTrue(tooLarge.body().contains("max-batch-bytes = 2048"), tooLarge.body());

    HttpResponse<String> bad =
        send("PATCH", "/topics/small/config", "{\"config\":{\"max-batch-bytes\":\"1MiB\"}}");
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("max-batch-bytes = 1048576"), bad.body());
    assertTrue(bad.body().contains("segment-bytes = 65536"), "names the limit: " + bad.body());

    HttpResponse<String> unknown =
        send("PATCH", "/topics/small/config", "{\"config\":{\"retention.ms\":\"1\"}}");
    assertEquals(400, unknown.statusCode(), unknown.body());
    assertTrue(unknown.body().contains("retention.ms"), unknown.body());

    HttpResponse<String> altered =
        send(
            "PATCH",
            "/topics/small/config",
            "{\"config\":{\"max-batch-bytes\":null,\"retention.bytes\":\"10MiB\"}}");
    assertEquals(200, altered.statusCode(), altered.body());
    assertEquals(
        TestCluster.JSON.readTree("{\"retention.bytes\":\"10MiB\"}"), json(altered).get("config"));
    assertEquals(200, produce("small", 0, 4096).statusCode(), "back to the node's batch limit");
    assertEquals(
        "10MiB", cluster.describe(1, "small").get("config").get("retention.bytes").asText());
  }

  @Test
  void partitionsAreAddedButNeverRemoved() throws Exception {
    assertEquals(
        201, cluster.post(1, "/topics", "{\"name\":\"grow\",\"partitions\":2}").statusCode());

    HttpResponse<String> shrink = cluster.post(1, "/topics/grow/partitions", "{\"partitions\":1}");
    assertEquals(400, shrink.statusCode(), shrink.body());
    assertTrue(shrink.body().contains("has 2 partitions"), shrink.body());

    HttpResponse<String> grown = cluster.post(1, "/topics/grow/partitions", "{\"partitions\":4}");
    assertEquals(200, grown.statusCode(), grown.body());
    assertEquals(4, json(grown).get("partitionCount").asInt());
    assertEquals(200, produce("grow", 3, 10).statusCode(), "the new partition takes writes");
    assertEquals(1, json(grown).get("partitions").get(3).get("preferredLeader").asInt());
  }

  @Test
  void aDeletedTopicAnswers404ItsDataIsGoneAndItsNameIsFree() throws Exception {
    HttpResponse<String> created =
        cluster.post(1, "/topics", "{\"name\":\"doomed\",\"partitions\":2}");
    assertEquals(201, created.statusCode(), created.body());
    String firstId = json(created).get("topicId").asText();
    assertEquals(200, produce("doomed", 0, 100).statusCode());
    Path p0 = cluster.dataDir(1).resolve(new PartitionId("doomed", 0).dirName());
    assertEquals(firstId, ReplicaDirectories.topicId(p0).orElseThrow());

    HttpResponse<String> deleted = send("DELETE", "/topics/doomed", null);

    assertEquals(200, deleted.statusCode(), deleted.body());
    assertEquals(firstId, json(deleted).get("topicId").asText());
    assertEquals(2, json(deleted).get("partitionCount").asInt());
    HttpResponse<String> produced = produce("doomed", 0, 10);
    assertEquals(404, produced.statusCode(), produced.body());
    assertTrue(json(produced).get("error").asText().contains("doomed"), produced.body());
    HttpResponse<String> read = cluster.get(1, "/topics/doomed/partitions/0/records/0");
    assertEquals(404, read.statusCode(), read.body());
    assertEquals(404, send("DELETE", "/topics/doomed", null).statusCode());
    Path renamed = p0.resolveSibling(p0.getFileName() + ReplicaDirectories.DELETED_SUFFIX);
    // Renamed first, then deleted: both names are gone once the removal is complete.
    cluster.awaitCondition(
        () -> !Files.exists(p0) && !Files.exists(renamed), "the partition directory is removed");

    HttpResponse<String> again =
        cluster.post(1, "/topics", "{\"name\":\"doomed\",\"partitions\":1}");
    assertEquals(201, again.statusCode(), again.body());
    assertNotEquals(firstId, json(again).get("topicId").asText());
    assertEquals(0, produceOffset("doomed", 0), "the new topic starts empty");
  }

  private long produceOffset(String topic, int partition) throws Exception {
    HttpResponse<String> r = produce(topic, partition, 10);
    assertEquals(200, r.statusCode(), r.body());
    return json(r).get("offset").asLong();
  }
}
