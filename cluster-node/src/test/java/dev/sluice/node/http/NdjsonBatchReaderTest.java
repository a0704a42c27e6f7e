package dev.sluice.node.http;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.ErrorBody;
import dev.sluice.api.NdjsonCodec;
import dev.sluice.api.ProduceRecord;
import dev.sluice.api.RecordHeader;
import dev.sluice.format.Header;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Line decoding, positions in errors and the batch-size arithmetic of NDJSON produce bodies. */
class NdjsonBatchReaderTest {
  private static final String LIMIT_NAME = "sluice.storage.max-batch-bytes";

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static NdjsonBatchReader feed(long limit, String... lines) {
    NdjsonBatchReader reader = new NdjsonBatchReader(limit, LIMIT_NAME, TIMESTAMP);
    for (String line : lines) {
      reader.accept(utf8(line));
    }
    return reader;
  }

  @Test
  void aBodyWrittenByTheClientsEncoderReadsBackAsItsRecords() {
    byte[] big = new byte[100_001];
    new java.util.Random(4).nextBytes(big);
    List<ProduceRecord> sent =
        List.of(
            new ProduceRecord(null, null),
            new ProduceRecord(utf8("k"), big),
            new ProduceRecord(
                new byte[0],
                utf8("v"),
                List.of(
                    new RecordHeader("trace \"id\" ✓", new byte[] {1}),
                    new RecordHeader("n", null))));
    // What SluiceClient.appendBatch sends.
    byte[] body = NdjsonCodec.produceBody(sent);
    NdjsonBatchReader reader = new NdjsonBatchReader(1 << 20, LIMIT_NAME, TIMESTAMP);
    int start = 0;
    for (int i = 0; i < body.length; i++) {
      if (body[i] == '\n') {
        reader.accept(java.util.Arrays.copyOfRange(body, start, i));
        start = i + 1;
      }
    }
    assertEquals(body.length, start, "the body ends with a newline");

    List<Record> records = reader.finish();

    assertEquals(sent.size(), records.size());
    for (int i = 0; i < sent.size(); i++) {
      assertArrayEquals(sent.get(i).key(), records.get(i).key());
      assertArrayEquals(sent.get(i).value(), records.get(i).value());
      assertEquals(sent.get(i).headers().size(), records.get(i).headers().size());
      for (int h = 0; h < sent.get(i).headers().size(); h++) {
        assertEquals(sent.get(i).headers().get(h).key(), records.get(i).headers().get(h).key());
        assertArrayEquals(
            sent.get(i).headers().get(h).value(), records.get(i).headers().get(h).value());
      }
    }
  }

  @Test
  void fieldsDecodeAndAbsentOnesAreNullOrEmpty() {
    List<Record> records =
        feed(
                1 << 20,
                "{\"key\":\"azE=\",\"value\":\"dmFsdWU=\",\"headers\":[{\"key\":\"h\",\"value\":\"AQI=\"},"
                    + "{\"key\":\"n\",\"value\":null}]}",
                "{}",
                "{\"key\":null,\"value\":\"\",\"headers\":null}\r",
                // padding is optional
                "{\"value\":\"dmFsdWU\"}")
            .finish();
    assertEquals(4, records.size());
    assertArrayEquals(utf8("k1"), records.get(0).key());
    assertArrayEquals(utf8("value"), records.get(0).value());
    assertEquals("h", records.get(0).headers().get(0).key());
    assertArrayEquals(new byte[] {1, 2}, records.get(0).headers().get(0).value());
    assertNull(records.get(0).headers().get(1).value());
    assertNull(records.get(1).key());
    assertNull(records.get(1).value());
    assertEquals(List.of(), records.get(1).headers());
    assertArrayEquals(new byte[0], records.get(2).value());
    assertArrayEquals(utf8("value"), records.get(3).value());
  }

  @Test
  void aLinesTimestampIsItsCreateTimeAndALineWithoutOneGetsTheRequestsArrival() {
    NdjsonBatchReader reader =
        feed(
            1 << 20,
            "{\"value\":\"AQ==\",\"timestamp\":1764460800000}",
            "{\"value\":\"Ag==\"}",
            "{\"timestamp\":null}");
    List<Record> records = reader.finish();
    assertEquals(1_764_460_800_000L, records.get(0).timestamp());
    assertEquals(TIMESTAMP, records.get(1).timestamp());
    assertEquals(TIMESTAMP, records.get(2).timestamp());
    // The timestamp deltas from the first record take bytes of their own.
    assertEquals(MemoryBatchBuilder.sizeOf(records), reader.batchBytes());
  }

  @Test
  void batchSizeIsTheLogsOwnArithmetic() {
    NdjsonBatchReader reader =
        feed(
            1 << 20,
            "{\"key\":\"azE=\",\"value\":\"dmFsdWU=\"}",
            "{\"headers\":[{\"key\":\"h\"}]}");
    long expected =
        MemoryBatchBuilder.sizeOf(
            List.of(
                Record.of(utf8("k1"), utf8("value"), TIMESTAMP),
                new Record(null, null, List.of(new Header("h", null)), TIMESTAMP)));
    assertEquals(expected, reader.batchBytes());
    assertEquals(5, reader.valueBytes());
  }

  @Test
  void aBatchExactlyAtTheLimitPassesAndOneByteMoreIs413NamingTheRecordAndTheLimit() {
    String line = "{\"value\":\"AAAA\"}"; // 3 value bytes
    Record three = Record.of(null, new byte[3], TIMESTAMP);
    long twoRecords = MemoryBatchBuilder.sizeOf(List.of(three, three));
    assertEquals(2, feed(twoRecords, line, line).finish().size());

    ApiException e = assertThrows(ApiException.class, () -> feed(twoRecords - 1, line, line, line));
    assertEquals(413, e.status());
    assertEquals(1L, e.body().longDetail(NdjsonBatchReader.RECORD_INDEX).getAsLong());
    assertEquals(
        line.length() + 1L, e.body().longDetail(NdjsonBatchReader.BYTE_POSITION).getAsLong());
    assertEquals(twoRecords - 1, e.body().longDetail(ErrorBody.MAX_BATCH_BYTES).getAsLong());
    assertTrue(e.getMessage().contains("grows to " + twoRecords + " bytes"), e.getMessage());
    assertTrue(e.getMessage().contains(LIMIT_NAME + " = " + (twoRecords - 1)), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bad JSON | {\"value\":\"AAAA\" | bad JSON",
        "not an object | [1,2] | a record is a JSON object, not an array",
        "bad base64 | {\"value\":\"A-B=\"} | bad base64 in \"value\"",
        "base64 of the wrong type | {\"key\":12} | \"key\" must be a base64 string or null, not a"
            + " number",
        "unknown field | {\"value\":null,\"partition\":1} | unknown field \"partition\"",
        "bad timestamp | {\"timestamp\":\"today\"} | \"timestamp\" must be an integer",
        "header without key | {\"headers\":[{\"value\":\"AA==\"}]} | header 0 has no key",
        "header with a null key | {\"headers\":[{\"key\":null}]} | header 0 key must be a string",
        "unknown header field | {\"headers\":[{\"key\":\"a\",\"v\":1}]} | unknown field \"v\" in"
            + " header 0",
        "two values on a line | {} {} | more than one JSON value on the line",
        "duplicate field | {\"value\":null,\"value\":null} | Duplicate field 'value'",
      })
  void aMalformedThirdLineIs400NamingIndexPositionAndWhatWasWrong(
      String name, String bad, String reason) {
    String first = "{\"value\":\"AQ==\"}";
    String second = "{\"key\":\"AQ==\",\"value\":null}";
    ApiException e = assertThrows(ApiException.class, () -> feed(1 << 20, first, second, bad));
    assertEquals(400, e.status());
    assertEquals(2L, e.body().longDetail(NdjsonBatchReader.RECORD_INDEX).getAsLong());
    long position = first.length() + 1 + second.length() + 1;
    assertEquals(position, e.body().longDetail(NdjsonBatchReader.BYTE_POSITION).getAsLong());
    assertTrue(e.getMessage().contains(reason), e.getMessage());
    assertTrue(
        e.getMessage().startsWith("record 2 (line at byte " + position + " of the body)"),
        e.getMessage());
  }

  @Test
  void blankLinesAreAllowedOnlyAfterTheLastRecord() {
    assertEquals(1, feed(1 << 20, "{}", "", "  ").finish().size());

    ApiException e = assertThrows(ApiException.class, () -> feed(1 << 20, "{}", "", "{}"));
    assertEquals(400, e.status());
    assertEquals(1L, e.body().longDetail(NdjsonBatchReader.RECORD_INDEX).getAsLong());
    assertEquals(3L, e.body().longDetail(NdjsonBatchReader.BYTE_POSITION).getAsLong());
    assertTrue(e.getMessage().contains("blank line before a record"), e.getMessage());
  }

  @Test
  void aBodyWithoutRecordsIs400() {
    ApiException empty = assertThrows(ApiException.class, () -> feed(1 << 20).finish());
    assertEquals(400, empty.status());
    assertTrue(empty.getMessage().contains("holds no record"), empty.getMessage());
    ApiException blank = assertThrows(ApiException.class, () -> feed(1 << 20, " ", "").finish());
    assertEquals(400, blank.status());
  }
}
