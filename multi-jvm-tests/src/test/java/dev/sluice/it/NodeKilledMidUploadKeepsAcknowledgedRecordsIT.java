package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node JVM is killed with SIGKILL while a 256 MiB record is being uploaded. After a restart every
 * record acknowledged before the kill is intact, the killed upload left no trace (no record, no
 * staging file), and the partition accepts new records at the next offset.
 */
class NodeKilledMidUploadKeepsAcknowledgedRecordsIT {
  private static final long UPLOAD_BYTES = 256L * 1024 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private NodeJvm node;
  private ItSecurity security;
  private HttpClient http;

  @AfterEach
  void stop() throws InterruptedException {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void acknowledgedRecordsSurviveAndTheKilledUploadLeavesNothing() throws Exception {
    security = ItSecurity.secure(dir);
    http = security.httpClient();
    int apiPort = NodeJvm.freePort();
    List<String> lines =
        new ArrayList<>(
            List.of(
                "sluice.node.id = 1",
                "sluice.data-dir = \"" + dir.resolve("node-1") + "\"",
                "sluice.controller.h2-path = \"" + dir.resolve("controller/journal") + "\"",
                "sluice.api.port = " + apiPort,
                "sluice.replication.port = " + NodeJvm.freePort(),
                "sluice.management.port = " + NodeJvm.freePort(),
                "sluice.cluster.port = " + NodeJvm.freePort(),
                "sluice.storage.max-batch-bytes = 512MiB"));
    lines.addAll(security.nodeConfigLines(1));
    lines.add("");
    Path config = NodeJvm.writeConfig(dir.resolve("node.conf"), String.join("\n", lines));
    node = new NodeJvm("node-1", config).start("-Xmx256m");
    node.awaitOutput("Sluice node 1 up", Duration.ofSeconds(90));
    URI api = security.uri(apiPort);

    HttpResponse<String> created =
        http.send(
            request(api.resolve("/topics"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"t\",\"partitions\":1}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(201, created.statusCode(), created.body());

    List<byte[]> acknowledged = new ArrayList<>();
    Random random = new Random(42);
    for (int i = 0; i < 12; i++) {
      byte[] value = new byte[i % 3 == 0 ? 1024 * 1024 + i : 100 + i];
      random.nextBytes(value);
      assertEquals(acknowledged.size(), produce(api, value));
      acknowledged.add(value);
    }

    // Start the big upload and kill the node once a good part of it sits in the staging file.
    Path staging = dir.resolve("node-1/t-0/staging");
    http.sendAsync(
        request(api.resolve("/topics/t/partitions/0/records"))
            .POST(
                HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new PatternStream(UPLOAD_BYTES)),
                    UPLOAD_BYTES))
            .build(),
        HttpResponse.BodyHandlers.discarding());
    awaitCondition(() -> stagedBytes(staging) > 48L * 1024 * 1024, "upload half-way staged");
    node.kill9();

    node = new NodeJvm("node-1-restarted", config).start("-Xmx256m");
    node.awaitOutput("Sluice node 1 up", Duration.ofSeconds(90));
    awaitCondition(() -> logEndOffset(api) == acknowledged.size(), "replica reopened");

    for (int offset = 0; offset < acknowledged.size(); offset++) {
      HttpResponse<byte[]> read =
          http.send(
              request(api.resolve("/topics/t/partitions/0/records/" + offset)).build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, read.statusCode(), "offset " + offset);
      assertArrayEquals(acknowledged.get(offset), read.body(), "offset " + offset);
    }
    HttpResponse<String> killed =
        http.send(
            request(api.resolve("/topics/t/partitions/0/records/" + acknowledged.size())).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(416, killed.statusCode(), killed.body());
    assertEquals(0, stagedBytes(staging), "staging files left behind");

    byte[] after = "after restart".getBytes();
    assertEquals(acknowledged.size(), produce(api, after));
  }

  private long produce(URI api, byte[] value) throws Exception {
    HttpResponse<String> r =
        http.send(
            request(api.resolve("/topics/t/partitions/0/records"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(value))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body()).get("offset").asLong();
  }

  private long logEndOffset(URI api) {
    try {
      HttpResponse<String> r =
          http.send(
              request(api.resolve("/topics/t")).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return -1;
      }
      JsonNode replica = JSON.readTree(r.body()).get("partitions").get(0).get("replicas").get(0);
      return replica.get("leo").asLong();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  /** A client API request with the admin token. */
  private HttpRequest.Builder request(URI uri) {
    return security.withApiAuth(HttpRequest.newBuilder(uri));
  }

  private static long stagedBytes(Path staging) {
    if (!Files.isDirectory(staging)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(staging)) {
      long total = 0;
      for (Path f : files.toList()) {
        total += Files.size(f);
      }
      return total;
    } catch (IOException e) {
      return 0;
    }
  }

  private static void awaitCondition(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    Await.until(condition, Duration.ofSeconds(90), what);
  }
}
