package dev.sluice.api;

import static java.nio.charset.StandardCharsets.US_ASCII;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.OptionalLong;

/**
 * The {@link MediaTypes#NDJSON} lines of the records API, one JSON object per line, for the server,
 * the client and the CLI alike. Keys, values and header values are standard base64 (RFC 4648
 * section 4) or null; header names are JSON strings.
 *
 * <p><b>Produce lines</b> (a batched produce body):
 *
 * <pre>
 * {"key": base64 | null, "value": base64 | null, "headers": [{"key": "name", "value": base64 | null}],
 *  "timestamp": epoch millis}
 * </pre>
 *
 * {@code key}, {@code value}, {@code headers} and {@code timestamp} may be left out (null, null,
 * none, the time the request arrives); padding is optional. Any other field, a duplicate field, a
 * header without a key and anything but exactly one JSON object on the line is refused with an
 * {@link NdjsonLineException}. {@link #writeProduceLine} writes exactly {@link #produceLineBytes}
 * bytes, so that a producer can size a request body without encoding it.
 *
 * <p><b>Fetch lines</b> (a fetch answer): {@code
 * {"offset":N,"timestamp":T,"key":...,"headers":[...],"value":...}}, the timestamp the record's
 * CreateTime in epoch millis (left out when the record has none, -1). The value comes last so that
 * a writer can stream it in pieces ({@link #fetchLineStart}, {@link #encodeValuePiece} of {@link
 * #VALUE_PIECE_BYTES}, {@link #valueEnd}): base64 of pieces whose length is a multiple of 3
 * concatenates to the base64 of the whole, so a value of any size passes in bounded memory. A
 * reader ({@link #readFetchLines}) skips lines without {@code offset} (the line ending a follow
 * stream) and fields it does not know, so that the server may add some.
 *
 * <p>Thread-safety: stateless.
 */
public final class NdjsonCodec {
  /** Field names of both kinds of line. */
  public static final String KEY = "key";

  public static final String VALUE = "value";
  public static final String HEADERS = "headers";

  /** A produce line's CreateTime, epoch millis (optional). */
  public static final String TIMESTAMP = "timestamp";

  public static final String OFFSET = "offset";

  /** Fields of the line that ends a follow stream. */
  public static final String NEXT_OFFSET = "nextOffset";

  public static final String HIGH_WATERMARK = "highWatermark";

  /** Raw value bytes a streaming writer encodes per step; a multiple of 3 (48 KiB). */
  public static final int VALUE_PIECE_BYTES = 3 * 16 * 1024;

  private static final byte[] NULL_VALUE_END = ascii("null}\n");
  private static final byte[] VALUE_START = ascii("\"");
  private static final byte[] VALUE_END = ascii("\"}\n");

  private static final JsonFactory JSON =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final Base64.Encoder BASE64_OUT = Base64.getEncoder();
  private static final Base64.Decoder BASE64_IN = Base64.getDecoder();

  private static final byte[] NULL = ascii("null");
  private static final byte[] PRODUCE_KEY = ascii("{\"" + KEY + "\":");
  private static final byte[] PRODUCE_VALUE = ascii(",\"" + VALUE + "\":");
  private static final byte[] PRODUCE_HEADERS = ascii(",\"" + HEADERS + "\":[");
  private static final byte[] PRODUCE_TIMESTAMP = ascii(",\"" + TIMESTAMP + "\":");
  private static final byte[] LINE_END = ascii("}\n");
  private static final byte[] HEADER_KEY = ascii("{\"" + KEY + "\":\"");
  private static final byte[] HEADER_VALUE = ascii("\",\"" + VALUE + "\":");
  private static final byte[] FETCH_OFFSET = ascii("{\"" + OFFSET + "\":");
  private static final byte[] FETCH_TIMESTAMP = ascii(",\"" + TIMESTAMP + "\":");
  private static final byte[] FETCH_KEY = ascii(",\"" + KEY + "\":");
  private static final byte[] FETCH_VALUE = ascii("],\"" + VALUE + "\":");

  private NdjsonCodec() {}

  /**
   * A record of a fetch answer.
   *
   * @param timestamp the record's CreateTime, epoch millis; -1 when the line carries none
   */
  public record FetchLine(
      long offset, long timestamp, byte[] key, byte[] value, List<RecordHeader> headers) {
    public FetchLine {
      headers = List.copyOf(headers);
    }
  }

  // ---- produce lines ----

  /**
   * Decodes one produce line, without its terminating {@code '\n'} (a {@code '\r'} before it is
   * JSON whitespace). The caller handles blank lines.
   *
   * @throws NdjsonLineException naming the field, what was wrong and the byte offset in the line
   */
  public static ProduceRecord readProduceLine(byte[] line) {
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw bad(null, p, "a record is a JSON object, not " + describe(p));
      }
      byte[] key = null;
      byte[] value = null;
      List<RecordHeader> headers = List.of();
      OptionalLong timestamp = OptionalLong.empty();
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        requireField(t);
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case KEY -> key = base64(p, KEY, "\"key\"");
          case VALUE -> value = base64(p, VALUE, "\"value\"");
          case HEADERS -> headers = headers(p);
          case TIMESTAMP -> timestamp = timestamp(p);
          default ->
              throw bad(
                  field,
                  p,
                  "unknown field \""
                      + field
                      + "\" (a record has key, value, headers and timestamp)");
        }
      }
      if (p.nextToken() != null) {
        throw bad(null, p, "more than one JSON value on the line (one record per line)");
      }
      return new ProduceRecord(key, value, headers, timestamp);
    } catch (JsonProcessingException e) {
      JsonLocation where = e.getLocation();
      throw new NdjsonLineException(
          null, "bad JSON: " + e.getOriginalMessage(), where == null ? -1 : where.getByteOffset());
    } catch (IOException e) {
      // A parser over a byte array does no IO; anything else is a JSON problem too.
      throw new NdjsonLineException(null, "bad JSON: " + e.getMessage(), -1);
    }
  }

  private static OptionalLong timestamp(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return OptionalLong.empty();
    }
    String not = null;
    if (t == JsonToken.VALUE_NUMBER_FLOAT) {
      not = "a fractional number";
    } else if (t != JsonToken.VALUE_NUMBER_INT) {
      not = describe(p);
    } else if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      not = "a number beyond the 64-bit range";
    }
    if (not != null) {
      throw bad(
          TIMESTAMP,
          p,
          "\"" + TIMESTAMP + "\" must be an integer (epoch milliseconds) or null, not " + not);
    }
    long millis = p.getLongValue();
    if (millis < 0) {
      throw bad(TIMESTAMP, p, "\"" + TIMESTAMP + "\" " + millis + " is negative");
    }
    return OptionalLong.of(millis);
  }

  private static List<RecordHeader> headers(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return List.of();
    }
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw bad(HEADERS, p, "\"headers\" must be an array or null, not " + describe(p));
    }
    List<RecordHeader> headers = new ArrayList<>();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t == null) {
        throw new NdjsonLineException(HEADERS, "bad JSON: the line ends inside \"headers\"", -1);
      }
      int index = headers.size();
      String which = "header " + index;
      String field = HEADERS + "[" + index + "]";
      if (t != JsonToken.START_OBJECT) {
        throw bad(field, p, which + " must be a JSON object, not " + describe(p));
      }
      String name = null;
      boolean named = false;
      byte[] value = null;
      for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
        requireField(f);
        String member = p.currentName();
        p.nextToken();
        switch (member) {
          case KEY -> {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
              throw bad(
                  field + "." + KEY,
                  p,
                  which + " key must be a string (headers always have a name), not " + describe(p));
            }
            name = p.getText();
            named = true;
          }
          case VALUE -> value = base64(p, field + "." + VALUE, which + " value");
          default ->
              throw bad(
                  field + "." + member,
                  p,
                  "unknown field \"" + member + "\" in " + which + " (a header has key and value)");
        }
      }
      if (!named) {
        throw bad(field, p, which + " has no key (headers always have a name)");
      }
      headers.add(new RecordHeader(name, value));
    }
    return headers;
  }

  private static byte[] base64(JsonParser p, String field, String what) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return null;
    }
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw bad(field, p, what + " must be a base64 string or null, not " + describe(p));
    }
    try {
      return BASE64_IN.decode(p.getText());
    } catch (IllegalArgumentException e) {
      throw bad(field, p, "bad base64 in " + what + ": " + e.getMessage());
    }
  }

  private static void requireField(JsonToken t) {
    if (t != JsonToken.FIELD_NAME) {
      // The parser reports syntax errors itself; only the end of input can get here.
      throw new NdjsonLineException(null, "bad JSON: the line ends inside an object", -1);
    }
  }

  private static NdjsonLineException bad(String field, JsonParser p, String problem) {
    return new NdjsonLineException(field, problem, p.currentTokenLocation().getByteOffset());
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

  /** Writes {@code record} as one produce line, its {@code '\n'} included. */
  public static void writeProduceLine(ProduceRecord record, OutputStream out) throws IOException {
    out.write(PRODUCE_KEY);
    writeBase64OrNull(record.key(), out);
    out.write(PRODUCE_VALUE);
    writeBase64OrNull(record.value(), out);
    if (!record.headers().isEmpty()) {
      out.write(PRODUCE_HEADERS);
      writeHeaders(record.headers(), out);
      out.write(']');
    }
    if (record.timestamp().isPresent()) {
      out.write(PRODUCE_TIMESTAMP);
      out.write(ascii(Long.toString(record.timestamp().getAsLong())));
    }
    out.write(LINE_END);
  }

  /** {@code records} as a produce body, one line each. */
  public static byte[] produceBody(List<ProduceRecord> records) {
    long size = 0;
    for (ProduceRecord r : records) {
      size += produceLineBytes(r);
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "a produce body of " + size + " bytes is larger than an array can hold");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) size);
    try {
      for (ProduceRecord r : records) {
        writeProduceLine(r, out);
      }
    } catch (IOException e) {
      // Writing to memory; only a bug gets here.
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * The exact length of {@code record}'s produce line, its {@code '\n'} included, computed without
   * encoding it.
   */
  public static long produceLineBytes(ProduceRecord record) {
    long n = PRODUCE_KEY.length + base64OrNullBytes(record.key());
    n += PRODUCE_VALUE.length + base64OrNullBytes(record.value());
    if (!record.headers().isEmpty()) {
      n += PRODUCE_HEADERS.length + headersBytes(record.headers()) + 1;
    }
    if (record.timestamp().isPresent()) {
      n += PRODUCE_TIMESTAMP.length + Long.toString(record.timestamp().getAsLong()).length();
    }
    return n + LINE_END.length;
  }

  // ---- fetch lines ----

  /**
   * The start of a fetch line, up to and including {@code "value":}; what follows is {@link
   * #nullValueEnd}, or {@link #valueStart}, the value's pieces ({@link #encodeValuePiece}) and
   * {@link #valueEnd}.
   */
  public static byte[] fetchLineStart(
      long offset, long timestamp, byte[] key, List<RecordHeader> headers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      out.write(FETCH_OFFSET);
      out.write(ascii(Long.toString(offset)));
      if (timestamp >= 0) {
        out.write(FETCH_TIMESTAMP);
        out.write(ascii(Long.toString(timestamp)));
      }
      out.write(FETCH_KEY);
      writeBase64OrNull(key, out);
      out.write(PRODUCE_HEADERS);
      writeHeaders(headers, out);
      out.write(FETCH_VALUE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** What follows {@link #fetchLineStart} for a null value: {@code null}, closing the line. */
  public static byte[] nullValueEnd() {
    return NULL_VALUE_END.clone();
  }

  /** What opens a non-null value after {@link #fetchLineStart}. */
  public static byte[] valueStart() {
    return VALUE_START.clone();
  }

  /** What follows the last piece of a non-null value, closing the line. */
  public static byte[] valueEnd() {
    return VALUE_END.clone();
  }

  /**
   * The base64 of one piece of a value; every piece but the last must be a multiple of 3 bytes
   * long, so that the pieces' base64 concatenates to the value's.
   */
  public static byte[] encodeValuePiece(byte[] piece) {
    return BASE64_OUT.encode(piece);
  }

  /** A whole fetch line, its {@code '\n'} included: for values already in memory. */
  public static byte[] fetchLine(FetchLine record) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        fetchLineStart(record.offset(), record.timestamp(), record.key(), record.headers()));
    if (record.value() == null) {
      out.writeBytes(NULL_VALUE_END);
    } else {
      out.writeBytes(VALUE_START);
      out.writeBytes(encodeValuePiece(record.value()));
      out.writeBytes(VALUE_END);
    }
    return out.toByteArray();
  }

  /**
   * Every record of a fetch answer, read to its end, in order.
   *
   * @throws NdjsonLineException for an answer that is not a sequence of JSON objects, a header
   *     without a key or a field that is not base64 where base64 belongs
   * @throws IOException when {@code in} fails
   */
  public static List<FetchLine> readFetchLines(InputStream in) throws IOException {
    List<FetchLine> records = new ArrayList<>();
    try (JsonParser p = JSON.createParser(in)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (t != JsonToken.START_OBJECT) {
          throw new NdjsonLineException(null, t + " at " + p.currentLocation(), -1);
        }
        FetchLine r = fetchRecord(p);
        if (r != null) {
          records.add(r);
        }
      }
    } catch (JsonProcessingException e) {
      throw new NdjsonLineException(null, "bad JSON: " + e.getOriginalMessage(), -1);
    }
    return records;
  }

  /** The object the parser is at, or null when it is not a record. */
  private static FetchLine fetchRecord(JsonParser p) throws IOException {
    long offset = -1;
    long timestamp = -1;
    byte[] key = null;
    byte[] value = null;
    List<RecordHeader> headers = List.of();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case OFFSET -> offset = p.getLongValue();
        case TIMESTAMP -> timestamp = p.getLongValue();
        case KEY -> key = base64(p, KEY, "\"key\"");
        case VALUE -> value = base64(p, VALUE, "\"value\"");
        case HEADERS -> headers = fetchedHeaders(p);
        default -> p.skipChildren();
      }
    }
    return offset < 0 ? null : new FetchLine(offset, timestamp, key, value, headers);
  }

  private static List<RecordHeader> fetchedHeaders(JsonParser p) throws IOException {
    List<RecordHeader> headers = new ArrayList<>();
    while (p.nextToken() == JsonToken.START_OBJECT) {
      String name = null;
      byte[] value = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case KEY -> name = p.getText();
          case VALUE -> value = base64(p, HEADERS + "." + VALUE, "header value");
          default -> p.skipChildren();
        }
      }
      if (name == null) {
        throw new NdjsonLineException(
            HEADERS, "a header without a key at " + p.currentLocation(), -1);
      }
      headers.add(new RecordHeader(name, value));
    }
    return headers;
  }

  // ---- shared ----

  private static void writeHeaders(List<RecordHeader> headers, OutputStream out)
      throws IOException {
    for (int i = 0; i < headers.size(); i++) {
      RecordHeader h = headers.get(i);
      if (i > 0) {
        out.write(',');
      }
      out.write(HEADER_KEY);
      out.write(JsonStringEncoder.getInstance().quoteAsUTF8(h.key()));
      out.write(HEADER_VALUE);
      writeBase64OrNull(h.value(), out);
      out.write('}');
    }
  }

  private static long headersBytes(List<RecordHeader> headers) {
    long n = headers.size() - 1L; // commas
    for (RecordHeader h : headers) {
      n += HEADER_KEY.length + JsonStringEncoder.getInstance().quoteAsUTF8(h.key()).length;
      n += HEADER_VALUE.length + base64OrNullBytes(h.value()) + 1;
    }
    return n;
  }

  private static void writeBase64OrNull(byte[] bytes, OutputStream out) throws IOException {
    if (bytes == null) {
      out.write(NULL);
    } else {
      out.write('"');
      out.write(BASE64_OUT.encode(bytes));
      out.write('"');
    }
  }

  private static long base64OrNullBytes(byte[] bytes) {
    return bytes == null ? NULL.length : 2 + 4 * ((bytes.length + 2L) / 3);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(US_ASCII);
  }
}
