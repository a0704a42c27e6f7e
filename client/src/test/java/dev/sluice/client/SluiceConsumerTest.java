package dev.sluice.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Headers;
import dev.sluice.api.MediaTypes;
import dev.sluice.client.testing.FakeSluiceServer;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link SluiceConsumer} and {@link SluiceClient#fetchRecords} against a scripted server. */
class SluiceConsumerTest {
  private static final String RECORDS = "/topics/orders/partitions/1/records";

  private FakeSluiceServer server;
  private final List<String> accepts = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = new FakeSluiceServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** Answers every fetch with {@code ndjson}, next offset and high watermark. */
  private void answer(String ndjson, long next, long hw) {
    server.on(
        "GET",
        RECORDS,
        (exchange, request) -> {
          accepts.add(exchange.getRequestHeaders().getFirst("Accept"));
          exchange.getResponseHeaders().set("Content-Type", MediaTypes.NDJSON);
          exchange.getResponseHeaders().set(Headers.NEXT_OFFSET, Long.toString(next));
          exchange.getResponseHeaders().set(Headers.HIGH_WATERMARK, Long.toString(hw));
          FakeSluiceServer.sendBytes(exchange, 200, ndjson.getBytes(UTF_8));
        });
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(UTF_8));
  }

  @Test
  void pollDecodesTheRecordsAndMovesThePosition() {
    answer(
        "{\"offset\":5,\"key\":\""
            + b64("k")
            + "\",\"headers\":[{\"key\":\"trace\",\"value\":\""
            + b64("t1")
            + "\"},{\"key\":\"empty\",\"value\":null}],\"value\":\""
            + b64("five")
            + "\"}\n"
            + "{\"offset\":6,\"key\":null,\"headers\":[],\"value\":null}\n",
        7,
        9);
    SluiceConsumer consumer = SluiceConsumer.create(SluiceClient.create(URI.create(server.url())));
    consumer.assign("orders", 1);
    consumer.seek(5);

    List<ConsumedRecord> records = consumer.poll(Duration.ofSeconds(3));

    assertEquals(2, records.size());
    ConsumedRecord first = records.get(0);
    assertEquals(5, first.offset());
    assertArrayEquals("k".getBytes(UTF_8), first.key());
    assertArrayEquals("five".getBytes(UTF_8), first.value());
    assertEquals("trace", first.headers().get(0).key());
    assertArrayEquals("t1".getBytes(UTF_8), first.headers().get(0).value());
    assertEquals("empty", first.headers().get(1).key());
    assertNull(first.headers().get(1).value());
    assertNull(records.get(1).key());
    assertNull(records.get(1).value());
    assertEquals(7, consumer.position());
    assertEquals(9, consumer.highWatermark());

    FakeSluiceServer.Request request = server.requests().get(0);
    String prefix = "offset=5&maxBytes=1048576&maxWaitMs=";
    assertTrue(request.query().startsWith(prefix), request.query());
    long waitMs = Long.parseLong(request.query().substring(prefix.length()));
    assertTrue(waitMs > 0 && waitMs <= 3000, "the poll's time left: " + request.query());
    assertEquals(MediaTypes.NDJSON, accepts.get(0));
  }

  @Test
  void anEmptyAnswerAfterTheTimeoutLeavesThePositionWhereItWas() {
    answer("", 4, 4);
    SluiceConsumer consumer = SluiceConsumer.create(SluiceClient.create(URI.create(server.url())));
    consumer.assign("orders", 1);
    consumer.seek(4);

    assertTrue(consumer.poll(Duration.ZERO).isEmpty());

    assertEquals(4, consumer.position());
    assertEquals(1, server.requests().size(), "a zero timeout asks once, without waiting");
    assertEquals("offset=4&maxBytes=1048576&maxWaitMs=0", server.requests().get(0).query());
  }

  @Test
  void theEndLineOfAFollowStreamIsNotARecord() throws Exception {
    answer(
        "{\"offset\":0,\"key\":null,\"headers\":[],\"value\":\"\"}\n"
            + "{\"nextOffset\":1,\"highWatermark\":1}\n",
        1,
        1);
    FetchedRecords fetched =
        SluiceClient.create(URI.create(server.url()))
            .fetchRecords("orders", 1, 0, 100, Duration.ZERO);
    assertEquals(1, fetched.records().size());
    assertArrayEquals(new byte[0], fetched.records().get(0).value());
    assertEquals(1, fetched.nextOffset());
  }

  @Test
  void anOffsetOutsideTheLogIsTheServersError() {
    server.onJson(
        "GET",
        RECORDS,
        416,
        "{\"error\":\"offset 9 of orders-1 is out of range: readable offsets are [0, 4)\"}");
    SluiceConsumer consumer = SluiceConsumer.create(SluiceClient.create(URI.create(server.url())));
    consumer.assign("orders", 1);
    consumer.seek(9);

    SluiceClientException e =
        assertThrows(SluiceClientException.class, () -> consumer.poll(Duration.ZERO));

    assertEquals(416, e.status());
    assertTrue(e.getMessage().contains("[0, 4)"), e.getMessage());
    assertEquals(9, consumer.position());
  }

  @Test
  void pollBeforeAssignIsRefused() {
    SluiceConsumer consumer = SluiceConsumer.create(SluiceClient.create(URI.create(server.url())));
    assertThrows(IllegalStateException.class, () -> consumer.poll(Duration.ZERO));
  }
}
