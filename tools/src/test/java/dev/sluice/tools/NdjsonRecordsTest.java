package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.ProduceRecord;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** NDJSON input lines as the server reads them: base64 fields, nulls, headers, and the errors. */
class NdjsonRecordsTest {

  @Test
  void aFullRecordIsDecoded() {
    ProduceRecord record =
        NdjsonRecords.parse(
            "{\"key\":\"b3JkZXItMQ==\",\"value\":\"eyJxdHkiOjJ9\","
                + "\"headers\":[{\"key\":\"trace\",\"value\":\"AQI=\"},{\"key\":\"n\",\"value\":null}]}",
            "stdin",
            1);

    assertArrayEquals("order-1".getBytes(UTF_8), record.key());
    assertArrayEquals("{\"qty\":2}".getBytes(UTF_8), record.value());
    assertEquals(2, record.headers().size());
    assertEquals("trace", record.headers().get(0).key());
    assertArrayEquals(new byte[] {1, 2}, record.headers().get(0).value());
    assertNull(record.headers().get(1).value());
    assertEquals(OptionalLong.empty(), record.timestamp(), "the server stamps the arrival time");
  }

  @Test
  void aTimestampIsKeptAsTheRecordsCreateTime() {
    ProduceRecord record =
        NdjsonRecords.parse("{\"value\":\"AQI\",\"timestamp\":1764460800000}", "stdin", 1);

    assertEquals(OptionalLong.of(1_764_460_800_000L), record.timestamp());
  }

  @Test
  void absentOrNullFieldsAreNullAndPaddingIsOptional() {
    ProduceRecord record = NdjsonRecords.parse("{\"key\":null,\"value\":\"AQI\"}", "stdin", 1);

    assertNull(record.key());
    assertArrayEquals(new byte[] {1, 2}, record.value());
    assertEquals(List.of(), record.headers());
    ProduceRecord empty = NdjsonRecords.parse("{}", "stdin", 1);
    assertNull(empty.key());
    assertNull(empty.value());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"value\":\"aGk=\",\"partition\":5}|in.ndjson line 7: unknown field \"partition\"",
        "[1,2]|in.ndjson line 7: a record is a JSON object, not an array",
        "{\"value\":|in.ndjson line 7: bad JSON",
        "{\"value\":\"!!\"}|in.ndjson line 7: bad base64 in \"value\"",
        "{\"key\":17}|in.ndjson line 7: \"key\" must be a base64 string or null, not a number",
        "{\"headers\":{}}|in.ndjson line 7: \"headers\" must be an array or null",
        "{\"headers\":[{\"value\":null}]}|in.ndjson line 7: header 0 has no key",
        "{\"headers\":[{\"key\":\"a\",\"v\":null}]}"
            + "|in.ndjson line 7: unknown field \"v\" in header 0",
        "{\"headers\":[{\"key\":\"a\",\"value\":\"%\"}]}"
            + "|in.ndjson line 7: bad base64 in header 0 value",
        "{\"value\":null,\"value\":null}|in.ndjson line 7: bad JSON: Duplicate field",
      })
  void aBadLineIsRefusedNamingTheSourceTheLineAndTheField(String line, String expected) {
    CliException e =
        assertThrows(CliException.class, () -> NdjsonRecords.parse(line, "in.ndjson", 7));

    assertTrue(e.getMessage().startsWith(expected), e.getMessage());
  }
}
