package dev.sluice.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.ApiJson;
import dev.sluice.api.MediaTypes;
import dev.sluice.api.ProduceRecord;
import dev.sluice.api.RecordHeader;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads one line of {@link MediaTypes#NDJSON} input into a record, in the server's format: {@code
 * {"key": base64|null, "value": base64|null, "headers": [{"key": "name", "value": base64|null}]}}.
 * Base64 is the standard alphabet, padding optional; an absent key or value is null; unknown fields
 * are refused rather than dropped. Every error names the source, the line and the field.
 *
 * <p>Thread-safety: stateless.
 */
final class NdjsonRecords {

  private static final ObjectMapper JSON = ApiJson.mapper();
  private static final Base64.Decoder BASE64 = Base64.getDecoder();

  private NdjsonRecords() {}

  /**
   * Parses a non-blank line.
   *
   * @param source where the line comes from, for messages ({@code stdin}, a file name)
   * @param lineNumber the line's number, from 1
   * @throws CliException naming the source, the line and what is wrong
   */
  static ProduceRecord parse(String line, String source, long lineNumber) {
    String where = source + " line " + lineNumber;
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new CliException(where + ": not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new CliException(where + ": a record is a JSON object, got " + shortText(line));
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      String field = it.next().getKey();
      if (!field.equals("key") && !field.equals("value") && !field.equals("headers")) {
        throw new CliException(
            where + ": unknown field \"" + field + "\" (a record has key, value and headers)");
      }
    }
    byte[] key = bytes(node.get("key"), where, "key");
    byte[] value = bytes(node.get("value"), where, "value");
    return new ProduceRecord(key, value, headers(node.get("headers"), where));
  }

  private static List<RecordHeader> headers(JsonNode headers, String where) {
    if (headers == null || headers.isNull()) {
      return List.of();
    }
    if (!headers.isArray()) {
      throw new CliException(where + ": headers must be an array, got " + headers.getNodeType());
    }
    List<RecordHeader> result = new ArrayList<>();
    for (int i = 0; i < headers.size(); i++) {
      JsonNode header = headers.get(i);
      String field = "headers[" + i + "]";
      if (!header.isObject()) {
        throw new CliException(where + ": " + field + " must be an object with key and value");
      }
      for (Iterator<String> names = header.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!name.equals("key") && !name.equals("value")) {
          throw new CliException(
              where + ": " + field + " has an unknown field \"" + name + "\" (key and value)");
        }
      }
      JsonNode name = header.get("key");
      if (name == null || !name.isTextual()) {
        throw new CliException(where + ": " + field + ".key must be a string");
      }
      result.add(
          new RecordHeader(name.asText(), bytes(header.get("value"), where, field + ".value")));
    }
    return result;
  }

  private static byte[] bytes(JsonNode node, String where, String field) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new CliException(
          where + ": " + field + " must be base64 text or null, got " + node.getNodeType());
    }
    try {
      return BASE64.decode(node.asText());
    } catch (IllegalArgumentException e) {
      throw new CliException(where + ": " + field + " is not base64: " + e.getMessage());
    }
  }

  private static String shortText(String line) {
    String s = line.strip();
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
