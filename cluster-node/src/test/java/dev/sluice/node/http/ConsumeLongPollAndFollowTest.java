package dev.sluice.node.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.Conditions;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import dev.sluice.replication.protocol.PartitionId;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long-poll, NDJSON and follow-mode fetches against a real single node. Each test uses its own
 * partition, so what one produces never wakes another's wait.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumeLongPollAndFollowTest {
  private static final String TOPIC = "events";
  private static final Duration CONDITION_TIMEOUT = Duration.ofSeconds(20);

  /** Longer than any test needs: a wait that ends early must have been woken. */
  private static final long LONG_WAIT_MS = 25_000;

  @TempDir static Path dir;
  private SluiceNode node;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  void startNode() throws Exception {
    node =
        SluiceNode.start(
            TestNodes.singleNode(
                dir,
                Map.of("sluice.api.request-timeout", "40s", "sluice.api.max-fetch-wait", "30s")));
    HttpResponse<String> created =
        http.send(
            HttpRequest.newBuilder(uri("/topics"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"" + TOPIC + "\",\"partitions\":8}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(201, created.statusCode(), created.body());
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  @Test
  void aLongPollAnswersAtOnceWhenRecordsAreCommitted() throws Exception {
    long offset = produce(0, "ready", "here");

    HttpResponse<String> r = fetchNdjson(0, offset, "&maxWaitMs=" + LONG_WAIT_MS);

    assertEquals(200, r.statusCode(), r.body());
    List<JsonNode> lines = lines(r.body());
    assertEquals(1, lines.size(), r.body());
    assertEquals("here", text(lines.get(0).get("value")));
    assertEquals(Long.toString(offset + 1), r.headers().firstValue("X-Sluice-Next-Offset").get());
  }

  @Test
  void aLongPollWaitsForTheHighWatermarkAndWakesWhenARecordIsCommitted() throws Exception {
    int partition = 1;
    PartitionLog log = log(partition);
    CompletableFuture<HttpResponse<String>> answer =
        fetchNdjsonAsync(partition, log.highWatermark(), "&maxWaitMs=" + LONG_WAIT_MS);
    Conditions.await(
        () -> log.highWatermarkWaiterCount() == 1, CONDITION_TIMEOUT, "the fetch waits");
    assertFalse(answer.isDone(), "nothing is committed yet");

    long offset = produce(partition, null, "late");

    HttpResponse<String> r = answer.get(CONDITION_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(200, r.statusCode(), r.body());
    List<JsonNode> lines = lines(r.body());
    assertEquals(1, lines.size(), r.body());
    assertEquals(offset, lines.get(0).get("offset").asLong());
    assertTrue(lines.get(0).get("key").isNull());
    assertEquals("late", text(lines.get(0).get("value")));
  }

  @Test
  void aLongPollThatTimesOutAnswersNothingAndTheSameNextOffset() throws Exception {
    int partition = 2;
    long hw = log(partition).highWatermark();

    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(uri(records(partition) + "?offset=" + hw + "&maxWaitMs=200"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());

    assertEquals(200, r.statusCode());
    assertEquals(0, r.body().length);
    assertEquals(Long.toString(hw), r.headers().firstValue("X-Sluice-Next-Offset").get());
    Conditions.await(
        () -> log(partition).highWatermarkWaiterCount() == 0,
        CONDITION_TIMEOUT,
        "the timed out wait is forgotten");
  }

  @Test
  void aLongPollWaitsUntilMinBytesAreCommitted() throws Exception {
    int partition = 3;
    PartitionLog log = log(partition);
    long from = produce(partition, null, "small");
    CompletableFuture<HttpResponse<String>> answer =
        fetchNdjsonAsync(partition, from, "&minBytes=4096&maxWaitMs=" + LONG_WAIT_MS);
    Conditions.await(
        () -> log.highWatermarkWaiterCount() == 1, CONDITION_TIMEOUT, "the fetch waits");

    // The commit wakes the fetch, which finds too few bytes and waits again. Had it answered
    // here, its answer would hold two records, not the three checked below.
    produce(partition, null, "still small");

    byte[] big = new byte[8192];
    new Random(3).nextBytes(big);
    long last = produce(partition, null, big);

    HttpResponse<String> r = answer.get(CONDITION_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(200, r.statusCode(), r.body());
    List<JsonNode> lines = lines(r.body());
    assertEquals(3, lines.size(), r.body());
    assertEquals("small", text(lines.get(0).get("value")));
    assertEquals("still small", text(lines.get(1).get("value")));
    assertArrayEquals(big, Base64.getDecoder().decode(lines.get(2).get("value").asText()));
    assertEquals(Long.toString(last + 1), r.headers().firstValue("X-Sluice-Next-Offset").get());
  }

  @Test
  void ndjsonLinesCarryWhatWasProduced() throws Exception {
    int partition = 4;
    byte[] binary = new byte[200_000]; // several base64 pieces, not a multiple of 3
    new Random(11).nextBytes(binary);
    long a = produce(partition, "k-1", "eins".getBytes(UTF_8));
    long b = produce(partition, null, new byte[0]);
    long c = produce(partition, "k-3", binary);

    HttpResponse<String> r = fetchNdjson(partition, a, "");

    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").get());
    List<JsonNode> lines = lines(r.body());
    assertEquals(3, lines.size(), r.body());
    assertEquals(a, lines.get(0).get("offset").asLong());
    assertEquals("k-1", text(lines.get(0).get("key")));
    assertEquals("eins", text(lines.get(0).get("value")));
    assertEquals(0, lines.get(0).get("headers").size());
    assertEquals(b, lines.get(1).get("offset").asLong());
    assertTrue(lines.get(1).get("key").isNull());
    assertEquals("", lines.get(1).get("value").asText());
    assertEquals(c, lines.get(2).get("offset").asLong());
    assertArrayEquals(binary, Base64.getDecoder().decode(lines.get(2).get("value").asText()));

    HttpResponse<String> fromTheMiddle = fetchNdjson(partition, b, "");
    assertEquals(b, lines(fromTheMiddle.body()).get(0).get("offset").asLong());
  }

  @Test
  void followModeDeliversRecordsCommittedAfterTheRequestStartedUntilTheClientCloses()
      throws Exception {
    int partition = 5;
    PartitionLog log = log(partition);
    long first = produce(partition, null, "before");

    // A raw connection, so that closing it is certainly a closed TCP connection.
    try (Socket socket = new Socket("127.0.0.1", node.apiPort())) {
      socket.setSoTimeout((int) CONDITION_TIMEOUT.toMillis());
      String request =
          "GET "
              + records(partition)
              + "?offset="
              + first
              + "&follow=true&maxWaitMs="
              + LONG_WAIT_MS
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/x-ndjson\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(UTF_8));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      String seen = readUntil(in, base64("before"));
      assertTrue(seen.contains("Transfer-Encoding: chunked"), seen);

      long second = produce(partition, null, "after");
      readUntil(in, "{\"offset\":" + second + ",");
      long third = produce(partition, null, "later still");
      readUntil(in, base64("later still"));
      assertTrue(third > second);
      Conditions.await(
          () -> log.highWatermarkWaiterCount() == 1, CONDITION_TIMEOUT, "the stream waits");
    }
    // The server learns that the client went when it writes the next record to it.
    Conditions.await(
        () -> {
          produceUnchecked(partition);
          return FollowSource.openStreams() == 0;
        },
        CONDITION_TIMEOUT,
        "the server ends the stream when the client goes");
    Conditions.await(
        () -> log.highWatermarkWaiterCount() == 0,
        CONDITION_TIMEOUT,
        "the ended stream waits no more");
  }

  private void produceUnchecked(int partition) {
    try {
      produce(partition, null, "nobody reads this");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Reads until {@code expected} has arrived; returns what was read. */
  private static String readUntil(InputStream in, String expected) throws Exception {
    StringBuilder read = new StringBuilder();
    byte[] buf = new byte[8192];
    while (read.indexOf(expected) < 0) {
      int n = in.read(buf);
      if (n < 0) {
        throw new AssertionError("the stream ended before " + expected + ": " + read);
      }
      read.append(new String(buf, 0, n, UTF_8));
    }
    return read.toString();
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(UTF_8));
  }

  @Test
  void followModeEndsAfterTheIdleBoundWithTheNextOffset() throws Exception {
    int partition = 6;
    long first = produce(partition, null, "only");

    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    uri(records(partition) + "?offset=" + first + "&follow=true&maxWaitMs=200"))
                .header("Accept", "application/x-ndjson")
                .build(),
            HttpResponse.BodyHandlers.ofString());

    List<JsonNode> lines = lines(r.body());
    assertEquals(2, lines.size(), r.body());
    assertEquals("only", text(lines.get(0).get("value")));
    assertEquals(first + 1, lines.get(1).get("nextOffset").asLong());
    assertEquals(first + 1, lines.get(1).get("highWatermark").asLong());
  }

  @Test
  void followModeInBatchFormatStreamsTheStoredBatches() throws Exception {
    int partition = 7;
    long first = produce(partition, null, "a");
    produce(partition, null, "b");

    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(
                    uri(records(partition) + "?offset=" + first + "&follow=true&maxWaitMs=200"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());

    assertEquals(200, r.statusCode());
    assertEquals("application/octet-stream", r.headers().firstValue("Content-Type").get());
    HttpResponse<byte[]> once =
        http.send(
            HttpRequest.newBuilder(uri(records(partition) + "?offset=" + first)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertArrayEquals(once.body(), r.body(), "the same batches, as stored");
  }

  @Test
  void badParametersAreRefusedNamingTheParameter() throws Exception {
    for (String query : List.of("maxWaitMs=-1", "minBytes=0", "follow=maybe", "maxWaitMs=soon")) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(uri(records(0) + "?offset=0&" + query)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(400, r.statusCode(), query);
      assertTrue(r.body().contains(query.substring(0, query.indexOf('='))), r.body());
    }
  }

  private PartitionLog log(int partition) {
    return node.replicas().get(new PartitionId(TOPIC, partition)).orElseThrow().log();
  }

  private static String records(int partition) {
    return "/topics/" + TOPIC + "/partitions/" + partition + "/records";
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.apiPort() + path);
  }

  private long produce(int partition, String key, String value) throws Exception {
    return produce(partition, key, value.getBytes(UTF_8));
  }

  private long produce(int partition, String key, byte[] value) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(records(partition)))
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(value));
    if (key != null) {
      b.header("X-Sluice-Key", key);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return ApiJson.mapper().readTree(r.body()).get("offset").asLong();
  }

  private HttpResponse<String> fetchNdjson(int partition, long offset, String more)
      throws Exception {
    return fetchNdjsonAsync(partition, offset, more)
        .get(CONDITION_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  private CompletableFuture<HttpResponse<String>> fetchNdjsonAsync(
      int partition, long offset, String more) {
    return http.sendAsync(
        HttpRequest.newBuilder(uri(records(partition) + "?offset=" + offset + more))
            .header("Accept", "application/x-ndjson")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static List<JsonNode> lines(String body) throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (!line.isEmpty()) {
        lines.add(json(line));
      }
    }
    return lines;
  }

  private static JsonNode json(String line) throws Exception {
    return ApiJson.mapper().readTree(line);
  }

  private static String text(JsonNode base64) {
    return new String(Base64.getDecoder().decode(base64.asText()), UTF_8);
  }
}
