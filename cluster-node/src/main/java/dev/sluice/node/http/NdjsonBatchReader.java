package dev.sluice.node.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.sluice.api.ErrorBody;
import dev.sluice.log.record.Header;
import dev.sluice.log.record.Record;
import dev.sluice.log.record.RecordBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the body of a batched produce request ({@code application/x-ndjson}) into the records of
 * one batch, one line at a time, as the lines arrive. Each line is one JSON object:
 *
 * <pre>
 * {"key": base64 | null, "value": base64 | null, "headers": [{"key": "name", "value": base64 | null}]}
 * </pre>
 *
 * <p>{@code key}, {@code value} and {@code headers} may be left out (null, null, none); base64 is
 * the standard alphabet (RFC 4648 section 4), padding optional. Any other field, a header without a
 * key, a line that is not exactly one JSON object and a blank line before the last record are
 * refused. Blank lines after the last record are allowed (a body ending in a newline, or two).
 *
 * <p>Invariants: the records held are exactly the lines accepted so far, in order, and the batch
 * they make ({@link RecordBatch#HEADER_BYTES} plus {@link RecordBatch#recordSize} of each, the
 * arithmetic the log itself checks) never exceeds the limit given: the record that would pass it is
 * refused with 413 before it is kept. Every refusal is an {@link ApiException} naming the record
 * index (0-based, which is also the line index), the byte position of that line in the body and
 * what was wrong; the caller appends nothing after one.
 *
 * <p>Thread-safety: not thread-safe; one instance per request, fed by one stream stage.
 */
final class NdjsonBatchReader {
  /** Error detail: the 0-based index of the refused record (its line). */
  static final String RECORD_INDEX = "recordIndex";

  /** Error detail: the byte position in the body where the refused record's line starts. */
  static final String BYTE_POSITION = "bytePosition";

  private static final JsonFactory JSON =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final Base64.Decoder BASE64 = Base64.getDecoder();

  private final long maxBatchBytes;
  private final String maxBatchName;
  private final List<Record> records = new ArrayList<>();
  private long batchBytes = RecordBatch.HEADER_BYTES;
  private long valueBytes;

  /** Where the next line starts in the body. */
  private long position;

  /** The first blank line seen after the last record, or -1: an error if a record follows it. */
  private long blankLineAt = -1;

  /**
   * @param maxBatchBytes the partition's batch limit
   * @param maxBatchName the setting that limit comes from, for messages
   */
  NdjsonBatchReader(long maxBatchBytes, String maxBatchName) {
    this.maxBatchBytes = maxBatchBytes;
    this.maxBatchName = maxBatchName;
  }

  /**
   * Decodes the next line of the body, without its terminating {@code '\n'} (a {@code '\r'} before
   * it is JSON whitespace).
   *
   * @throws ApiException 400 for a malformed line, 413 when the record makes the batch too large
   */
  void accept(byte[] line) {
    long lineStart = position;
    position += line.length + 1L;
    int index = records.size();
    if (isBlank(line)) {
      if (blankLineAt < 0) {
        blankLineAt = lineStart;
      }
      return;
    }
    if (blankLineAt >= 0) {
      throw malformed(
          index,
          blankLineAt,
          "blank line before a record: one record per line, and only lines after the last record"
              + " may be blank");
    }
    Record record = parse(line, index, lineStart);
    long size =
        RecordBatch.recordSize(
            record.key(), record.headers(), record.value() == null ? -1 : record.value().length);
    if (batchBytes + size > maxBatchBytes) {
      Map<String, Object> details = new LinkedHashMap<>();
      details.put(ErrorBody.MAX_BATCH_BYTES, maxBatchBytes);
      details.put(RECORD_INDEX, index);
      details.put(BYTE_POSITION, lineStart);
      throw new ApiException(
          413,
          at(index, lineStart)
              + ": the batch grows to "
              + (batchBytes + size)
              + " bytes with it, larger than "
              + maxBatchName
              + " = "
              + maxBatchBytes
              + "; nothing was written: send fewer or smaller records per request",
          details);
    }
    batchBytes += size;
    valueBytes += record.value() == null ? 0 : record.value().length;
    records.add(record);
  }

  /**
   * The records of the whole body, once it ended.
   *
   * @throws ApiException 400 when the body held no record
   */
  List<Record> finish() {
    if (records.isEmpty()) {
      throw new ApiException(
          400,
          "the batched produce body holds no record (it is empty or blank): send one JSON object"
              + " per line, at least one");
    }
    return List.copyOf(records);
  }

  /** The encoded size of the batch the records accepted so far make. */
  long batchBytes() {
    return batchBytes;
  }

  /** The value bytes of the records accepted so far. */
  long valueBytes() {
    return valueBytes;
  }

  private Record parse(byte[] line, int index, long lineStart) {
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw malformed(index, lineStart, p, "a record is a JSON object, not " + describe(p));
      }
      byte[] key = null;
      byte[] value = null;
      List<Header> headers = List.of();
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        requireField(t, index, lineStart);
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "key" -> key = base64(p, index, lineStart, "\"key\"");
          case "value" -> value = base64(p, index, lineStart, "\"value\"");
          case "headers" -> headers = headers(p, index, lineStart);
          default ->
              throw malformed(
                  index,
                  lineStart,
                  p,
                  "unknown field \"" + field + "\" (a record has key, value and headers)");
        }
      }
      if (p.nextToken() != null) {
        throw malformed(
            index, lineStart, p, "more than one JSON value on the line (one record per line)");
      }
      return new Record(key, value, headers);
    } catch (JsonProcessingException e) {
      JsonLocation where = e.getLocation();
      throw malformed(
          index,
          lineStart,
          "bad JSON"
              + column(where == null ? -1 : where.getByteOffset())
              + ": "
              + e.getOriginalMessage());
    } catch (IOException e) {
      // A parser over a byte array does no IO; anything else is a JSON problem too.
      throw malformed(index, lineStart, "bad JSON: " + e.getMessage());
    }
  }

  private List<Header> headers(JsonParser p, int index, long lineStart) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return List.of();
    }
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw malformed(
          index, lineStart, p, "\"headers\" must be an array or null, not " + describe(p));
    }
    List<Header> headers = new ArrayList<>();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t == null) {
        throw malformed(index, lineStart, "bad JSON: the line ends inside \"headers\"");
      }
      String which = "header " + headers.size();
      if (t != JsonToken.START_OBJECT) {
        throw malformed(index, lineStart, p, which + " must be a JSON object, not " + describe(p));
      }
      String name = null;
      boolean named = false;
      byte[] value = null;
      for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
        requireField(f, index, lineStart);
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "key" -> {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
              throw malformed(
                  index,
                  lineStart,
                  p,
                  which + " key must be a string (headers always have a name), not " + describe(p));
            }
            name = p.getText();
            named = true;
          }
          case "value" -> value = base64(p, index, lineStart, which + " value");
          default ->
              throw malformed(
                  index,
                  lineStart,
                  p,
                  "unknown field \"" + field + "\" in " + which + " (a header has key and value)");
        }
      }
      if (!named) {
        throw malformed(index, lineStart, p, which + " has no key (headers always have a name)");
      }
      int keyBytes = name.getBytes(StandardCharsets.UTF_8).length;
      if (keyBytes > Short.MAX_VALUE) {
        throw malformed(
            index,
            lineStart,
            which + " key of " + keyBytes + " UTF-8 bytes exceeds the limit " + Short.MAX_VALUE);
      }
      headers.add(new Header(name, value));
    }
    return headers;
  }

  private static byte[] base64(JsonParser p, int index, long lineStart, String what)
      throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return null;
    }
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw malformed(
          index, lineStart, p, what + " must be a base64 string or null, not " + describe(p));
    }
    try {
      return BASE64.decode(p.getText());
    } catch (IllegalArgumentException e) {
      throw malformed(index, lineStart, p, "bad base64 in " + what + ": " + e.getMessage());
    }
  }

  private static void requireField(JsonToken t, int index, long lineStart) {
    if (t != JsonToken.FIELD_NAME) {
      // The parser reports syntax errors itself; only the end of input can get here.
      throw malformed(index, lineStart, "bad JSON: the line ends inside an object");
    }
  }

  private static String describe(JsonParser p) {
    JsonToken t = p.currentToken();
    if (t == null) {
      return "nothing";
    }
    return switch (t) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> t.asString() == null ? t.name() : t.asString();
    };
  }

  private static boolean isBlank(byte[] line) {
    for (byte b : line) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  private static ApiException malformed(int index, long lineStart, JsonParser p, String what) {
    return malformed(index, lineStart, what + column(p.currentTokenLocation().getByteOffset()));
  }

  private static String column(long byteOffset) {
    return byteOffset < 0 ? "" : " (byte " + byteOffset + " of the line)";
  }

  private static ApiException malformed(int index, long lineStart, String what) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put(RECORD_INDEX, index);
    details.put(BYTE_POSITION, lineStart);
    return new ApiException(
        400, at(index, lineStart) + ": " + what + "; nothing was written", details);
  }

  private static String at(int index, long lineStart) {
    return "record " + index + " (line at byte " + lineStart + " of the body)";
  }
}
