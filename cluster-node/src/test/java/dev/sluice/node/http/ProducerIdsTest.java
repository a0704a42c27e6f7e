package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.ApiJson;
import dev.sluice.api.Paths;
import dev.sluice.api.ProducerIdResponse;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /producers} on a real single node whose blocks hold 3 ids: ids are distinct across
 * blocks, also for requests that arrive together while a block is being fetched, and a node that
 * restarts on the same controller journal never hands out an id it gave before.
 */
class ProducerIdsTest {
  private static final int BLOCK = 3;

  @TempDir Path dir;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @Test
  void idsAreDistinctAcrossBlocksAndAcrossARestart() throws Exception {
    Set<Long> given = new HashSet<>();
    try (SluiceNode node = start()) {
      // One after the other: the first block, then a second and a third.
      for (int i = 0; i < 2 * BLOCK + 1; i++) {
        ProducerIdResponse r = newProducer(node);
        assertEquals(0, r.producerEpoch());
        assertTrue(r.producerId() >= 0, r.toString());
        assertTrue(given.add(r.producerId()), "id " + r.producerId() + " given twice: " + given);
      }
      // Together, more than a block: some wait while the next block is fetched.
      List<CompletableFuture<HttpResponse<String>>> together = new ArrayList<>();
      for (int i = 0; i < 4 * BLOCK; i++) {
        together.add(http.sendAsync(request(node), HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> f : together) {
        long id = parse(f.get()).producerId();
        assertTrue(given.add(id), "id " + id + " given twice: " + given);
      }
    }
    assertEquals(6 * BLOCK + 1, given.size());

    try (SluiceNode restarted = start()) {
      for (int i = 0; i < BLOCK + 1; i++) {
        long id = newProducer(restarted).producerId();
        assertTrue(given.add(id), "id " + id + " given again after the restart: " + given);
      }
    }
  }

  private SluiceNode start() {
    return SluiceNode.start(
        TestNodes.singleNode(
            dir, Map.of("sluice.controller.producer-id-block", Integer.toString(BLOCK))));
  }

  private ProducerIdResponse newProducer(SluiceNode node) throws Exception {
    return parse(http.send(request(node), HttpResponse.BodyHandlers.ofString()));
  }

  private static ProducerIdResponse parse(HttpResponse<String> r) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    return ApiJson.mapper().readValue(r.body(), ProducerIdResponse.class);
  }

  private static HttpRequest request(SluiceNode node) {
    return HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.apiPort() + "/" + Paths.producers()))
        .POST(BodyPublishers.noBody())
        .timeout(Duration.ofSeconds(30))
        .build();
  }
}
