package dev.sluice.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Produce and fetch lines: both directions, exact lengths, and where a bad line went wrong. */
class NdjsonCodecTest {

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }

  private static List<ProduceRecord> samples() {
    byte[] big = new byte[3 * NdjsonCodec.VALUE_PIECE_BYTES + 1];
    new Random(7).nextBytes(big);
    return List.of(
        new ProduceRecord(null, null),
        new ProduceRecord(new byte[0], new byte[0]),
        new ProduceRecord(utf8("k"), utf8("v1")),
        new ProduceRecord(utf8("k2"), big),
        new ProduceRecord(
            null,
            utf8("x"),
            List.of(
                new RecordHeader("trace \"id\" ✓\n", new byte[] {1, 2, 3, 4}),
                new RecordHeader("n", null),
                new RecordHeader("", new byte[0]))),
        new ProduceRecord(utf8("t"), utf8("y"), List.of(), OptionalLong.of(1_764_460_800_000L)));
  }

  @Test
  void aProduceLineDecodesToTheRecordItWasWrittenFromAndHasTheComputedLength() throws Exception {
    for (ProduceRecord record : samples()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      NdjsonCodec.writeProduceLine(record, out);
      byte[] line = out.toByteArray();

      assertEquals(NdjsonCodec.produceLineBytes(record), line.length);
      assertEquals('\n', line[line.length - 1]);
      ProduceRecord read =
          NdjsonCodec.readProduceLine(java.util.Arrays.copyOf(line, line.length - 1));
      assertSame(record, read);
      assertEquals(record.timestamp(), read.timestamp());
    }
  }

  @Test
  void aProduceBodyIsItsLinesInOrder() {
    List<ProduceRecord> records = samples();
    byte[] body = NdjsonCodec.produceBody(records);

    long expected = 0;
    for (ProduceRecord r : records) {
      expected += NdjsonCodec.produceLineBytes(r);
    }
    assertEquals(expected, body.length);
    String[] lines = new String(body, UTF_8).split("\n");
    assertEquals(records.size(), lines.length);
    for (int i = 0; i < lines.length; i++) {
      assertSame(records.get(i), NdjsonCodec.readProduceLine(utf8(lines[i])));
      assertEquals(
          records.get(i).timestamp(), NdjsonCodec.readProduceLine(utf8(lines[i])).timestamp());
    }
  }

  @Test
  void fetchLinesWrittenWholeOrInPiecesReadBackAsTheRecords() throws Exception {
    List<ProduceRecord> records = samples();
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    ByteArrayOutputStream pieces = new ByteArrayOutputStream();
    for (int i = 0; i < records.size(); i++) {
      ProduceRecord r = records.get(i);
      whole.writeBytes(
          NdjsonCodec.fetchLine(
              new NdjsonCodec.FetchLine(10 + i, timestamp(i), r.key(), r.value(), r.headers())));
      pieces.writeBytes(NdjsonCodec.fetchLineStart(10 + i, timestamp(i), r.key(), r.headers()));
      if (r.value() == null) {
        pieces.writeBytes(NdjsonCodec.nullValueEnd());
      } else {
        pieces.writeBytes(NdjsonCodec.valueStart());
        for (int at = 0; at < r.value().length; at += NdjsonCodec.VALUE_PIECE_BYTES) {
          int end = Math.min(r.value().length, at + NdjsonCodec.VALUE_PIECE_BYTES);
          pieces.writeBytes(
              NdjsonCodec.encodeValuePiece(java.util.Arrays.copyOfRange(r.value(), at, end)));
        }
        pieces.writeBytes(NdjsonCodec.valueEnd());
      }
    }
    assertArrayEquals(whole.toByteArray(), pieces.toByteArray());
    // The line ending a follow stream is not a record.
    pieces.writeBytes(utf8("{\"nextOffset\":15,\"highWatermark\":15}\n"));

    List<NdjsonCodec.FetchLine> read =
        NdjsonCodec.readFetchLines(new ByteArrayInputStream(pieces.toByteArray()));

    assertEquals(records.size(), read.size());
    for (int i = 0; i < records.size(); i++) {
      assertEquals(10 + i, read.get(i).offset());
      assertEquals(timestamp(i), read.get(i).timestamp());
      ProduceRecord r = records.get(i);
      assertSame(
          r, new ProduceRecord(read.get(i).key(), read.get(i).value(), read.get(i).headers()));
    }
  }

  /** Every other record without a timestamp: the field is left out, and read back as -1. */
  private static long timestamp(int i) {
    return i % 2 == 0 ? 1_700_000_000_000L + i : -1;
  }

  @Test
  void aFetchReaderIgnoresFieldsItDoesNotKnow() throws Exception {
    byte[] body = utf8("{\"offset\":3,\"timestamp\":9,\"extra\":{\"a\":[1]},\"value\":\"AQ==\"}\n");

    List<NdjsonCodec.FetchLine> read = NdjsonCodec.readFetchLines(new ByteArrayInputStream(body));

    assertEquals(1, read.size());
    assertArrayEquals(new byte[] {1}, read.get(0).value());
    assertNull(read.get(0).key());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown field | {\"value\":null,\"partition\":1} | partition | unknown field \"partition\""
            + " (a record has key, value, headers and timestamp) (byte 26 of the line)",
        "timestamp type | {\"timestamp\":\"now\"} | timestamp | \"timestamp\" must be an integer"
            + " (epoch milliseconds) or null, not a string",
        "fractional timestamp | {\"timestamp\":1.5} | timestamp | \"timestamp\" must be an"
            + " integer (epoch milliseconds) or null, not a fractional number",
        "negative timestamp | {\"timestamp\":-1} | timestamp | \"timestamp\" -1 is negative",
        "not an object | [1,2] | | a record is a JSON object, not an array (byte 0 of the line)",
        "bad base64 | {\"value\":\"A-B=\"} | value | bad base64 in \"value\"",
        "wrong type | {\"key\":12} | key | \"key\" must be a base64 string or null, not a number"
            + " (byte 7 of the line)",
        "header key | {\"headers\":[{\"key\":null}]} | headers[0].key | header 0 key must be a"
            + " string",
        "header value | {\"headers\":[{\"key\":\"a\",\"value\":1}]} | headers[0].value | header 0"
            + " value must be a base64 string or null, not a number",
        "no header key | {\"headers\":[{}]} | headers[0] | header 0 has no key",
        "two values | {} {} | | more than one JSON value on the line",
        "bad JSON | {\"value\": | | bad JSON",
      })
  void aBadProduceLineNamesTheFieldAndWhatWasWrong(
      String name, String line, String field, String message) {
    NdjsonLineException e =
        assertThrows(NdjsonLineException.class, () -> NdjsonCodec.readProduceLine(utf8(line)));

    assertEquals(field, e.field());
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  @Test
  void theByteOffsetOfAProblemIsWithinTheLine() {
    NdjsonLineException e =
        assertThrows(
            NdjsonLineException.class,
            () -> NdjsonCodec.readProduceLine(utf8("{\"key\":null,\"value\":true}")));

    assertEquals(20, e.byteOffset().getAsLong());
    assertEquals("\"value\" must be a base64 string or null, not a boolean", e.problem());
  }

  private static void assertSame(ProduceRecord expected, ProduceRecord actual) {
    assertArrayEquals(expected.key(), actual.key());
    assertArrayEquals(expected.value(), actual.value());
    assertEquals(expected.headers().size(), actual.headers().size());
    for (int i = 0; i < expected.headers().size(); i++) {
      assertEquals(expected.headers().get(i).key(), actual.headers().get(i).key());
      assertArrayEquals(expected.headers().get(i).value(), actual.headers().get(i).value());
    }
  }
}
