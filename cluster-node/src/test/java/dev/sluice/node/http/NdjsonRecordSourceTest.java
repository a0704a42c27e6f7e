package dev.sluice.node.http;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.api.NdjsonCodec;
import dev.sluice.format.Header;
import dev.sluice.format.Record;
import dev.sluice.log.FetchResult;
import dev.sluice.log.PartitionLog;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The NDJSON lines of stored batches: every field, nulls, headers, values of many pieces. */
class NdjsonRecordSourceTest {
  private static final ActorTestKit kit = ActorTestKit.create();

  @TempDir Path dir;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void everyRecordOfTheSlicesIsOneLineWithItsKeyHeadersAndValue() throws Exception {
    byte[] large = new byte[3 * NdjsonRecordSource.VALUE_PIECE_BYTES + 2]; // ends mid-triple
    new Random(5).nextBytes(large);
    try (PartitionLog log =
        PartitionLog.open(dir.resolve("p"), settings(1024 * 1024, 512 * 1024), clock())) {
      log.appendRecords(
          List.of(
              new Record(
                  "k".getBytes(UTF_8),
                  "v".getBytes(UTF_8),
                  List.of(new Header("trace \"id\" ✓", new byte[] {1, 2}), new Header("n", null)),
                  TIMESTAMP),
              new Record(null, null, List.of(), TIMESTAMP)),
          1);
      log.appendRecords(List.of(new Record(new byte[0], large, List.of(), TIMESTAMP)), 1);
      log.appendRecords(List.of(Record.of(null, "after".getBytes(UTF_8), TIMESTAMP)), 1);
      FetchResult fetched = log.read(1, 1); // the first batch, then at least one whole batch

      List<JsonNode> lines = lines(fetched, 1, log);
      assertEquals(1, lines.size(), "only the record at or after offset 1 of the first batch");
      assertEquals(1, lines.get(0).get("offset").asLong());
      assertTrue(lines.get(0).get("key").isNull());
      assertTrue(lines.get(0).get("value").isNull());
      assertEquals(0, lines.get(0).get("headers").size());

      List<JsonNode> all = lines(log.read(0, Long.MAX_VALUE), 0, log);
      assertEquals(4, all.size());
      JsonNode first = all.get(0);
      assertEquals(List.of("offset", "timestamp", "key", "headers", "value"), fields(first));
      assertEquals("k", text(first.get("key")));
      assertEquals("v", text(first.get("value")));
      assertEquals("trace \"id\" ✓", first.get("headers").get(0).get("key").asText());
      assertArrayEquals(new byte[] {1, 2}, bytes(first.get("headers").get(0).get("value")));
      assertTrue(first.get("headers").get(1).get("value").isNull());
      assertEquals("", all.get(2).get("key").asText(), "an empty key is not a null key");
      assertArrayEquals(large, bytes(all.get(2).get("value")));
      assertEquals(3, all.get(3).get("offset").asLong());
      assertEquals("after", text(all.get(3).get("value")));
    }
  }

  @Test
  void theClientsReaderReadsBackWhatWasStored() throws Exception {
    byte[] large = new byte[2 * NdjsonRecordSource.VALUE_PIECE_BYTES + 1];
    new Random(9).nextBytes(large);
    List<Record> stored =
        List.of(
            new Record(
                "k".getBytes(UTF_8),
                large,
                List.of(new Header("trace \"id\" ✓", new byte[] {1, 2}), new Header("n", null)),
                TIMESTAMP),
            new Record(null, null, List.of(), TIMESTAMP + 7),
            new Record(
                new byte[0], new byte[0], List.of(new Header("", new byte[0])), TIMESTAMP + 1));
    try (PartitionLog log =
        PartitionLog.open(dir.resolve("p"), settings(1024 * 1024, 512 * 1024), clock())) {
      log.appendRecords(stored, 1);

      ByteString body = body(log.read(0, Long.MAX_VALUE), 0, log);
      // What SluiceClient.fetchRecords reads an answer with.
      List<NdjsonCodec.FetchLine> read =
          NdjsonCodec.readFetchLines(new ByteArrayInputStream(body.toArray()));

      assertEquals(stored.size(), read.size());
      for (int i = 0; i < stored.size(); i++) {
        Record want = stored.get(i);
        NdjsonCodec.FetchLine got = read.get(i);
        assertEquals(i, got.offset());
        assertEquals(want.timestamp(), got.timestamp());
        assertArrayEquals(want.key(), got.key());
        assertArrayEquals(want.value(), got.value());
        assertEquals(want.headers().size(), got.headers().size());
        for (int h = 0; h < want.headers().size(); h++) {
          assertEquals(want.headers().get(h).key(), got.headers().get(h).key());
          assertArrayEquals(want.headers().get(h).value(), got.headers().get(h).value());
        }
      }
    }
  }

  private ByteString body(FetchResult fetched, long from, PartitionLog log) throws Exception {
    return NdjsonRecordSource.create(fetched.slices(), from, ConsumeHandler.storedLimit(log))
        .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), kit.system())
        .toCompletableFuture()
        .get(Duration.ofSeconds(20).toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
  }

  private List<JsonNode> lines(FetchResult fetched, long from, PartitionLog log) throws Exception {
    ByteString body =
        NdjsonRecordSource.create(fetched.slices(), from, ConsumeHandler.storedLimit(log))
            .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), kit.system())
            .toCompletableFuture()
            .get(Duration.ofSeconds(20).toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    List<JsonNode> lines = new ArrayList<>();
    String text = body.utf8String();
    assertTrue(text.endsWith("\n"), text);
    for (String line : text.split("\n")) {
      lines.add(ApiJson.mapper().readTree(line));
    }
    return lines;
  }

  private static List<String> fields(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static byte[] bytes(JsonNode base64) {
    return Base64.getDecoder().decode(base64.asText());
  }

  private static String text(JsonNode base64) {
    return new String(bytes(base64), UTF_8);
  }
}
