package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.api.MediaTypes;
import dev.sluice.api.NdjsonCodec;
import dev.sluice.api.NdjsonLineException;
import dev.sluice.api.ProduceRecord;

/**
 * Reads one line of {@link MediaTypes#NDJSON} input into a record, with the server's own decoder
 * ({@link NdjsonCodec#readProduceLine}), so that a line the CLI accepts is a line the server
 * accepts: {@code {"key": base64|null, "value": base64|null, "headers": [{"key": "name", "value":
 * base64|null}]}}. Every error names the source and the line, then what the decoder found wrong.
 *
 * <p>Thread-safety: stateless.
 */
final class NdjsonRecords {

  private NdjsonRecords() {}

  /**
   * Parses a non-blank line.
   *
   * @param source where the line comes from, for messages ({@code stdin}, a file name)
   * @param lineNumber the line's number, from 1
   * @throws CliException naming the source, the line and what is wrong
   */
  static ProduceRecord parse(String line, String source, long lineNumber) {
    try {
      return NdjsonCodec.readProduceLine(line.getBytes(UTF_8));
    } catch (NdjsonLineException e) {
      throw new CliException(source + " line " + lineNumber + ": " + e.getMessage());
    }
  }
}
