package dev.sluice.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.ApiJson;
import dev.sluice.api.MediaTypes;
import dev.sluice.api.RecordHeader;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads the records of a {@link MediaTypes#NDJSON} fetch answer, one JSON object per line: {@code
 * {"offset":N,"key":base64|null,"headers":[{"key":"k","value":base64|null}],"value":...}}. A line
 * without {@code offset} (the {@code {"nextOffset":...}} line that ends a follow stream) is not a
 * record and is skipped; unknown fields are ignored, so that the server may add some.
 *
 * <p>Thread-safety: stateless.
 */
final class NdjsonRecords {
  private static final ObjectMapper JSON = ApiJson.mapper();
  private static final Base64.Decoder BASE64 = Base64.getDecoder();

  private NdjsonRecords() {}

  /** Every record of {@code in}, read to its end, in order. */
  static List<ConsumedRecord> read(InputStream in) throws IOException {
    List<ConsumedRecord> records = new ArrayList<>();
    try (JsonParser p = JSON.getFactory().createParser(in)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (t != JsonToken.START_OBJECT) {
          throw new SluiceClientException(
              "unexpected NDJSON from the server: " + t + " at " + p.currentLocation(), null);
        }
        ConsumedRecord r = record(p);
        if (r != null) {
          records.add(r);
        }
      }
    }
    return records;
  }

  /** The object the parser is at, or null when it is not a record. */
  private static ConsumedRecord record(JsonParser p) throws IOException {
    long offset = -1;
    byte[] key = null;
    byte[] value = null;
    List<RecordHeader> headers = List.of();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "offset" -> offset = p.getLongValue();
        case "key" -> key = bytes(p, t);
        case "value" -> value = bytes(p, t);
        case "headers" -> headers = headers(p);
        default -> p.skipChildren();
      }
    }
    return offset < 0 ? null : new ConsumedRecord(offset, key, value, headers);
  }

  private static List<RecordHeader> headers(JsonParser p) throws IOException {
    List<RecordHeader> headers = new ArrayList<>();
    while (p.nextToken() == JsonToken.START_OBJECT) {
      String name = null;
      byte[] value = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "key" -> name = p.getText();
          case "value" -> value = bytes(p, t);
          default -> p.skipChildren();
        }
      }
      if (name == null) {
        throw new SluiceClientException(
            "unexpected NDJSON from the server: a header without a key at " + p.currentLocation(),
            null);
      }
      headers.add(new RecordHeader(name, value));
    }
    return headers;
  }

  private static byte[] bytes(JsonParser p, JsonToken t) throws IOException {
    return t == JsonToken.VALUE_NULL ? null : BASE64.decode(p.getText());
  }
}
