package dev.sluice.client;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Acks;
import dev.sluice.api.ErrorBody;
import dev.sluice.api.Headers;
import dev.sluice.api.ProduceRecord;
import dev.sluice.api.ProduceResponse;
import dev.sluice.api.ProducerIdResponse;
import dev.sluice.api.RecordHeader;
import dev.sluice.api.ReplicaRole;
import dev.sluice.api.ReplicaState;
import dev.sluice.api.TopicDescription;
import dev.sluice.client.testing.FakeSluiceServer;
import dev.sluice.format.Compression;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client against a scripted node: paths, headers, bodies, redirects and error bodies. */
class SluiceClientTest {

  private static final String RECORDS = "/topics/orders/partitions/0/records";

  private FakeSluiceServer server;
  private SluiceClient client;

  @BeforeEach
  void start() throws IOException {
    server = new FakeSluiceServer();
    client = SluiceClient.create(URI.create(server.url()));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void aProduceSendsTheKeyHeaderAndAcksAndReturnsTheOffset() {
    server.onJson("POST", RECORDS, 200, "{\"offset\":41}");

    long offset =
        client.append(
            "orders", 0, "k-1", Acks.LEADER, () -> BodyPublishers.ofString("value"), false);

    assertEquals(41, offset);
    FakeSluiceServer.Request sent = server.requests().get(0);
    assertEquals("k-1", sent.key());
    assertEquals("acks=leader", sent.query());
    assertEquals("value", sent.bodyText());
  }

  @Test
  void aProduceWithoutAcksLeavesTheChoiceToTheServer() {
    server.onJson("POST", RECORDS, 200, "{\"offset\":0}");

    client.append("orders", 0, null, null, () -> BodyPublishers.ofString("v"), false);

    assertNull(server.requests().get(0).query());
    assertNull(server.requests().get(0).key());
  }

  @Test
  void aFetchedKeySentAsUtf8ComesBackAsTheSameText() {
    String key = "schlüssel-ключ";
    server.on(
        "GET",
        RECORDS + "/7",
        (exchange, request) -> {
          // The JDK server writes header values one byte per char: send the key's UTF-8 bytes.
          exchange
              .getResponseHeaders()
              .set(Headers.KEY, new String(key.getBytes(UTF_8), ISO_8859_1));
          exchange.getResponseHeaders().set(Headers.OFFSET, "7");
          FakeSluiceServer.sendBytes(exchange, 200, "v7".getBytes(UTF_8));
        });

    SluiceClient.FetchedRecord[] fetched = new SluiceClient.FetchedRecord[1];
    String value =
        client.fetch(
            "orders",
            0,
            7,
            record -> {
              fetched[0] = record;
              return new String(record.value().readAllBytes(), UTF_8);
            });

    assertEquals("v7", value);
    assertEquals(7, fetched[0].offset());
    assertEquals(key, fetched[0].key());
    assertEquals(2, fetched[0].length());
  }

  @Test
  void anErrorAnswerCarriesTheServersMessageAndDetails() {
    server.onJson(
        "GET",
        RECORDS + "/99",
        416,
        "{\"error\":\"offset 99 is not readable: [0, 12)\",\"highWatermark\":12,"
            + "\"logStartOffset\":0}");

    SluiceClientException e =
        assertThrows(
            SluiceClientException.class,
            () -> client.fetch("orders", 0, 99, record -> record.offset()));

    assertEquals(416, e.status());
    assertEquals("offset 99 is not readable: [0, 12)", e.getMessage());
    ErrorBody body = e.error().orElseThrow();
    assertEquals(OptionalLong.of(12), body.longDetail(ErrorBody.HIGH_WATERMARK));
    assertEquals(OptionalLong.of(0), body.longDetail(ErrorBody.LOG_START_OFFSET));
  }

  @Test
  void anAnswerThatIsNotASluiceErrorIsQuotedWithItsStatus() {
    server.on(
        "GET",
        "/topics/orders",
        (exchange, request) ->
            FakeSluiceServer.sendBytes(exchange, 502, "<html>bad gateway</html>".getBytes(UTF_8)));

    SluiceClientException e =
        assertThrows(SluiceClientException.class, () -> client.describeTopic("orders"));

    assertEquals(502, e.status());
    assertEquals("HTTP 502: <html>bad gateway</html>", e.getMessage());
    assertTrue(e.error().isEmpty());
  }

  @Test
  void aRedirectIsFollowedWithTheSameMethodAndBody() throws IOException {
    try (FakeSluiceServer leader = new FakeSluiceServer()) {
      server.on(
          "POST",
          RECORDS,
          (exchange, request) ->
              FakeSluiceServer.redirect(
                  exchange, URI.create(leader.url() + RECORDS + "?" + request.query())));
      leader.onJson("POST", RECORDS, 200, "{\"offset\":3}");

      long offset =
          client.append("orders", 0, "k", Acks.ALL, () -> BodyPublishers.ofString("v"), false);

      assertEquals(3, offset);
      FakeSluiceServer.Request atLeader = leader.requests().get(0);
      assertEquals("v", atLeader.bodyText());
      assertEquals("k", atLeader.key());
      assertEquals("acks=all", atLeader.query());
    }
  }

  @Test
  void aBatchIsOneNdjsonBodyOfBase64FieldsAndItsAnswerIsReturned() throws IOException {
    List<String> contentTypes = new ArrayList<>();
    server.on(
        "POST",
        RECORDS,
        (exchange, request) -> {
          contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
          FakeSluiceServer.send(exchange, 200, "{\"offset\":7,\"lastOffset\":9,\"count\":3}");
        });

    ProduceResponse written =
        client.appendBatch(
            "orders",
            0,
            List.of(
                new ProduceRecord(
                    "k".getBytes(UTF_8),
                    new byte[] {1, 2, 3},
                    List.of(new RecordHeader("trace", new byte[] {(byte) 0xff}))),
                new ProduceRecord(null, null),
                new ProduceRecord(
                    new byte[0], "v".getBytes(UTF_8), List.of(new RecordHeader("n", null)))),
            Acks.LEADER);

    assertEquals(new ProduceResponse(7, 9, 3), written);
    FakeSluiceServer.Request sent = server.requests().get(0);
    assertEquals(List.of("application/x-ndjson"), contentTypes);
    assertEquals("acks=leader", sent.query());
    assertNull(sent.key());
    assertEquals(
        "{\"key\":\"aw==\",\"value\":\"AQID\",\"headers\":[{\"key\":\"trace\",\"value\":\"/w==\"}]}\n"
            + "{\"key\":null,\"value\":null}\n"
            + "{\"key\":\"\",\"value\":\"dg==\",\"headers\":[{\"key\":\"n\",\"value\":null}]}\n",
        sent.bodyText());
  }

  @Test
  void aBuiltBatchIsSentAsItsOwnBytesWithTheRecordBatchTypeAlsoAfterARedirect() throws IOException {
    ByteBuffer batch =
        MemoryBatchBuilder.build(
            List.of(
                Record.of("k".getBytes(UTF_8), new byte[] {1, 2}, 1_000L),
                Record.of(null, null, 1_001L)),
            Compression.NONE);
    byte[] expected = new byte[batch.remaining()];
    batch.duplicate().get(expected);
    try (FakeSluiceServer leader = new FakeSluiceServer()) {
      List<String> contentTypes = new ArrayList<>();
      server.on(
          "POST",
          RECORDS,
          (exchange, request) ->
              FakeSluiceServer.redirect(exchange, URI.create(leader.url() + RECORDS)));
      leader.on(
          "POST",
          RECORDS,
          (exchange, request) -> {
            contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
            FakeSluiceServer.send(exchange, 200, "{\"offset\":5,\"lastOffset\":6,\"count\":2}");
          });

      ProduceResponse written = client.appendBatch("orders", 0, batch, 2, Acks.LEADER);

      assertEquals(new ProduceResponse(5, 6, 2), written);
      assertEquals(List.of("application/vnd.sluice.record-batch.v2"), contentTypes);
      assertArrayEquals(expected, server.requests().get(0).body());
      assertArrayEquals(expected, leader.requests().get(0).body());
      assertEquals("acks=leader", server.requests().get(0).query());
      assertEquals(0, batch.position(), "the caller's buffer is not moved");
    }
  }

  @Test
  void aNewProducerIdIsAskedForWithAPostToProducersFollowingARedirect() throws IOException {
    try (FakeSluiceServer other = new FakeSluiceServer()) {
      server.on(
          "POST",
          "/producers",
          (exchange, request) ->
              FakeSluiceServer.redirect(exchange, URI.create(other.url() + "/producers")));
      other.onJson("POST", "/producers", 200, "{\"producerId\":4001,\"producerEpoch\":0}");

      assertEquals(new ProducerIdResponse(4001, (short) 0), client.newProducerId());
      assertEquals("POST", other.requests().get(0).method());
    }
  }

  @Test
  void anAnswerToProducersWithoutAProducerIdIsABadAnswer() {
    server.onJson("POST", "/producers", 200, "{\"producerEpoch\":0}");

    SluiceClientException e = assertThrows(SluiceClientException.class, client::newProducerId);
    assertEquals(SluiceClientException.BAD_ANSWER, e.status());
    assertTrue(e.getMessage().contains("not a producer id"), e.getMessage());
  }

  @Test
  void aDuplicateAnswerToABatchCarriesTheOriginalOffsetsAndA409KeepsItsCodes() {
    ByteBuffer batch =
        MemoryBatchBuilder.build(
            List.of(Record.of(null, new byte[] {1}, 1_000L), Record.of(null, null, 1_001L)),
            Compression.NONE,
            12,
            (short) 0,
            40);
    server.onJson(
        "POST", RECORDS, 200, "{\"offset\":5,\"lastOffset\":6,\"count\":2,\"duplicate\":true}");
    assertEquals(
        new ProduceResponse(5, 6, 2, true), client.appendBatch("orders", 0, batch, 2, null));

    server.onJson(
        "POST",
        RECORDS,
        409,
        "{\"error\":\"out of order\",\"code\":\"OUT_OF_ORDER_SEQUENCE\",\"producerId\":12,"
            + "\"expectedSequence\":38}");
    SluiceClientException e =
        assertThrows(
            SluiceClientException.class, () -> client.appendBatch("orders", 0, batch, 2, null));
    assertEquals(409, e.status());
    ErrorBody body = e.error().orElseThrow();
    assertEquals("OUT_OF_ORDER_SEQUENCE", body.details().get(ErrorBody.CODE));
    assertEquals(38, body.longDetail(ErrorBody.EXPECTED_SEQUENCE).orElseThrow());
    assertEquals(12, body.longDetail(ErrorBody.PRODUCER_ID).orElseThrow());
  }

  @Test
  void aBuiltBatchWhoseAnswerMiscountsItsRecordsIsAnError() {
    server.onJson("POST", RECORDS, 200, "{\"offset\":4,\"lastOffset\":4,\"count\":1}");
    ByteBuffer batch =
        MemoryBatchBuilder.build(
            List.of(Record.of(null, null, 1L), Record.of(null, null, 1L)), Compression.NONE);

    SluiceClientException e =
        assertThrows(
            SluiceClientException.class, () -> client.appendBatch("orders", 0, batch, 2, null));

    assertTrue(e.getMessage().contains("not a batched produce answer"), e.getMessage());
    assertEquals(SluiceClientException.BAD_ANSWER, e.status());
  }

  @Test
  void aBatchFollowsARedirectWithTheSameBody() throws IOException {
    try (FakeSluiceServer leader = new FakeSluiceServer()) {
      server.on(
          "POST",
          RECORDS,
          (exchange, request) ->
              FakeSluiceServer.redirect(exchange, URI.create(leader.url() + RECORDS)));
      leader.onJson("POST", RECORDS, 200, "{\"offset\":0,\"lastOffset\":1,\"count\":2}");
      List<ProduceRecord> records =
          List.of(new ProduceRecord(null, new byte[] {1}), new ProduceRecord(null, new byte[] {2}));

      ProduceResponse written = client.appendBatch("orders", 0, records, null);

      assertEquals(new ProduceResponse(0, 1, 2), written);
      assertEquals(server.requests().get(0).bodyText(), leader.requests().get(0).bodyText());
      assertNull(leader.requests().get(0).query());
    }
  }

  @Test
  void aBatchAnswerThatDoesNotCountTheRecordsIsAnError() {
    server.onJson("POST", RECORDS, 200, "{\"offset\":4}");

    SluiceClientException e =
        assertThrows(
            SluiceClientException.class,
            () -> client.appendBatch("orders", 0, List.of(new ProduceRecord(null, null)), null));

    assertTrue(e.getMessage().contains("not a batched produce answer"), e.getMessage());
    // The server wrote something: the producer must not send the batch again.
    assertEquals(SluiceClientException.BAD_ANSWER, e.status());
    assertFalse(SluiceProducer.retriable(e));
  }

  @Test
  void aRequestWithoutAnAnswerFailsAfterTheRequestTimeoutAsRetriable() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    server.on(
        "GET",
        "/topics",
        (exchange, request) -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          FakeSluiceServer.send(exchange, 200, "{\"topics\":[]}");
        });
    SluiceClient impatient =
        SluiceClient.builder(URI.create(server.url()))
            .requestTimeout(Duration.ofMillis(200))
            .build();
    try {
      SluiceClientException e = assertThrows(SluiceClientException.class, impatient::listTopics);

      assertEquals(SluiceClientException.NO_STATUS, e.status());
      assertTrue(SluiceProducer.retriable(e));
      assertTrue(
          e.getMessage().startsWith("no answer within PT0.2S to GET " + server.url() + "/topics"),
          e.getMessage());
    } finally {
      release.countDown();
    }
  }

  @Test
  void aRequestTimeoutMustBePositive() {
    SluiceClient.Builder builder = SluiceClient.builder(URI.create(server.url()));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> builder.requestTimeout(Duration.ZERO));

    assertEquals("requestTimeout = PT0S: must be positive", e.getMessage());
  }

  @Test
  void anEmptyBatchIsRefusedBeforeSending() {
    assertThrows(
        IllegalArgumentException.class, () -> client.appendBatch("orders", 0, List.of(), null));
    assertTrue(server.requests().isEmpty());
  }

  @Test
  void redirectsStopAfterTheLimit() {
    server.on(
        "GET",
        "/topics/orders",
        (exchange, request) ->
            FakeSluiceServer.redirect(exchange, URI.create(server.url() + "/topics/orders")));

    SluiceClientException e =
        assertThrows(SluiceClientException.class, () -> client.describeTopic("orders"));

    assertEquals(307, e.status());
    assertTrue(e.getMessage().startsWith("too many redirects (more than 5)"), e.getMessage());
    assertEquals(SluiceClient.MAX_REDIRECTS + 1, server.requests().size());
  }

  @Test
  void aTopicDescriptionIsReadIntoTheApiModel() {
    server.onJson(
        "GET",
        "/topics/a%20b",
        200,
        "{\"name\":\"a b\",\"partitionCount\":1,\"replicationFactor\":2,\"partitions\":["
            + "{\"partition\":0,\"leader\":2,\"leaderEpoch\":3,\"inSync\":[2],\"replicas\":["
            + "{\"node\":2,\"role\":\"leader\",\"leo\":5,\"hw\":5,\"state\":\"leading\"},"
            + "{\"node\":1,\"role\":\"follower\",\"leo\":-1,\"hw\":-1,\"state\":\"unknown\","
            + "\"futureField\":true}]}]}");

    TopicDescription topic = client.describeTopic("a b");

    assertEquals("a b", topic.name());
    assertEquals(2, topic.partition(0).orElseThrow().leaderReplica().orElseThrow().node());
    assertEquals(ReplicaRole.FOLLOWER, topic.partition(0).orElseThrow().replicas().get(1).role());
    assertEquals(ReplicaState.UNKNOWN, topic.partition(0).orElseThrow().replicas().get(1).state());
  }

  @Test
  void anUnreachableNodeIsAnExceptionWithoutStatus() throws IOException {
    FakeSluiceServer stopped = new FakeSluiceServer();
    String url = stopped.url();
    stopped.close();
    SluiceClient gone = SluiceClient.create(URI.create(url));

    SluiceClientException e = assertThrows(SluiceClientException.class, gone::listTopics);

    assertEquals(SluiceClientException.NO_STATUS, e.status());
    assertTrue(e.getMessage().startsWith("cannot reach " + url + "/"), e.getMessage());
  }
}
