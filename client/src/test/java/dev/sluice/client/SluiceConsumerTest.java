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
import dev.sluice.format.BatchLayout;
import dev.sluice.format.Compression;
import dev.sluice.format.Header;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link SluiceConsumer} ({@link SluiceClient#fetchBatches}: raw batches decoded here, every codec)
 * and {@link SluiceClient#fetchRecords} (NDJSON) against a scripted server.
 */
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

  /** Answers every fetch with {@code batches} (raw v2 batches), next offset and high watermark. */
  private void answerBatches(byte[] batches, long next, long hw) {
    server.on(
        "GET",
        RECORDS,
        (exchange, request) -> {
          accepts.add(exchange.getRequestHeaders().getFirst("Accept"));
          exchange.getResponseHeaders().set("Content-Type", MediaTypes.OCTET_STREAM);
          exchange.getResponseHeaders().set(Headers.NEXT_OFFSET, Long.toString(next));
          exchange.getResponseHeaders().set(Headers.HIGH_WATERMARK, Long.toString(hw));
          FakeSluiceServer.sendBytes(exchange, 200, batches);
        });
  }

  /** A batch as the server stores it: built as a producer does, then stamped with its offset. */
  private static byte[] stored(List<Record> records, Compression codec, long baseOffset) {
    ByteBuffer b = MemoryBatchBuilder.build(records, codec);
    b.putLong(BatchLayout.BASE_OFFSET_OFFSET, baseOffset);
    b.putInt(BatchLayout.PARTITION_LEADER_EPOCH_OFFSET, 3);
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    return bytes;
  }

  private static byte[] concat(byte[]... parts) {
    ByteBuffer all = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
    for (byte[] p : parts) {
      all.put(p);
    }
    return all.array();
  }

  @Test
  void pollDecodesTheRecordsAndMovesThePosition() {
    byte[] batch =
        stored(
            List.of(
                Record.of(null, "four".getBytes(UTF_8), 1_000L),
                new Record(
                    "k".getBytes(UTF_8),
                    "five".getBytes(UTF_8),
                    List.of(new Header("trace", "t1".getBytes(UTF_8)), new Header("empty", null)),
                    1_001L),
                Record.of(null, null, 1_002L)),
            Compression.NONE,
            4);
    answerBatches(batch, 7, 9);
    SluiceConsumer consumer = SluiceConsumer.create(SluiceClient.create(URI.create(server.url())));
    consumer.assign("orders", 1);
    consumer.seek(5);

    List<ConsumedRecord> records = consumer.poll(Duration.ofSeconds(3));

    // Offset 4 opens the batch but lies below the position: left out.
    assertEquals(2, records.size());
    ConsumedRecord first = records.get(0);
    assertEquals(5, first.offset());
    assertArrayEquals("k".getBytes(UTF_8), first.key());
    assertArrayEquals("five".getBytes(UTF_8), first.value());
    assertEquals("trace", first.headers().get(0).key());
    assertArrayEquals("t1".getBytes(UTF_8), first.headers().get(0).value());
    assertEquals("empty", first.headers().get(1).key());
    assertNull(first.headers().get(1).value());
    assertEquals(6, records.get(1).offset());
    assertNull(records.get(1).key());
    assertNull(records.get(1).value());
    assertEquals(7, consumer.position());
    assertEquals(9, consumer.highWatermark());

    FakeSluiceServer.Request request = server.requests().get(0);
    String prefix = "offset=5&maxBytes=1048576&maxWaitMs=";
    assertTrue(request.query().startsWith(prefix), request.query());
    long waitMs = Long.parseLong(request.query().substring(prefix.length()));
    assertTrue(waitMs > 0 && waitMs <= 3000, "the poll's time left: " + request.query());
    assertEquals(MediaTypes.OCTET_STREAM, accepts.get(0));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Compression.class)
  void pollDecompressesBatchesOfEveryCodec(Compression codec) {
    List<Record> first = new ArrayList<>();
    List<Record> second = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      byte[] value = ("value " + i + " ").repeat(i % 40 + 1).getBytes(UTF_8);
      List<Header> headers = i % 3 == 0 ? List.of(new Header("n", value)) : List.of();
      (i < 120 ? first : second)
          .add(
              new Record(
                  i % 5 == 0 ? null : ("k" + i).getBytes(UTF_8), value, headers, 5_000L + i));
    }
    answerBatches(concat(stored(first, codec, 10), stored(second, codec, 130)), 210, 210);
    SluiceConsumer consumer = SluiceConsumer.create(SluiceClient.create(URI.create(server.url())));
    consumer.assign("orders", 1);
    consumer.seek(10);

    List<ConsumedRecord> records = consumer.poll(Duration.ofSeconds(3));

    assertEquals(200, records.size());
    for (int i = 0; i < 200; i++) {
      Record sent = (i < 120 ? first.get(i) : second.get(i - 120));
      ConsumedRecord got = records.get(i);
      assertEquals(10 + i, got.offset());
      assertEquals(sent.timestamp(), got.timestamp(), "timestamp of " + i);
      assertArrayEquals(sent.key(), got.key(), "key of " + i);
      assertArrayEquals(sent.value(), got.value(), "value of " + i);
      assertEquals(sent.headers().size(), got.headers().size());
      for (int h = 0; h < sent.headers().size(); h++) {
        assertEquals(sent.headers().get(h).key(), got.headers().get(h).key());
        assertArrayEquals(sent.headers().get(h).value(), got.headers().get(h).value());
      }
    }
    assertEquals(210, consumer.position());
  }

  @Test
  void aBatchWhoseCrcDoesNotMatchIsABadAnswer() {
    byte[] batch = stored(List.of(Record.of(null, "x".getBytes(UTF_8), 1L)), Compression.ZSTD, 0);
    batch[batch.length - 1] ^= 1;
    answerBatches(batch, 1, 1);
    SluiceConsumer consumer = SluiceConsumer.create(SluiceClient.create(URI.create(server.url())));
    consumer.assign("orders", 1);

    SluiceClientException e =
        assertThrows(SluiceClientException.class, () -> consumer.poll(Duration.ZERO));

    assertEquals(SluiceClientException.BAD_ANSWER, e.status());
    assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    assertEquals(0, consumer.position());
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
