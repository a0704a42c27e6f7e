package dev.sluice.node.http;

import dev.sluice.api.ErrorBody;
import dev.sluice.api.NdjsonCodec;
import dev.sluice.api.NdjsonLineException;
import dev.sluice.api.ProduceRecord;
import dev.sluice.api.RecordHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.Header;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the body of a batched produce request ({@code application/x-ndjson}) into the records of
 * one batch, one line at a time, as the lines arrive. Each line is one JSON object:
 *
 * <pre>
 * {"key": base64 | null, "value": base64 | null, "headers": [{"key": "name", "value": base64 | null}],
 *  "timestamp": epoch millis}
 * </pre>
 *
 * <p>Each line is decoded by {@link NdjsonCodec#readProduceLine}, the codec clients use to write
 * them ({@code key}, {@code value} and {@code headers} may be left out; base64 padding optional;
 * unknown and duplicate fields, headers without a key, anything but one JSON object refused). This
 * reader adds what belongs to the body and the storage: a blank line before the last record is
 * refused, blank lines after it are allowed (a body ending in a newline, or two). A record's {@code
 * timestamp} is its CreateTime; a line without one gets the timestamp given (the time the request
 * arrived).
 *
 * <p>Invariants: the records held are exactly the lines accepted so far, in order, and the v2 batch
 * they make ({@link BatchLayout#HEADER_BYTES} plus {@link MemoryBatchBuilder#sizeOfRecord} of each,
 * the arithmetic the log itself checks) never exceeds the limit given: the record that would pass
 * it is refused with 413 before it is kept. Every refusal is an {@link ApiException} naming the
 * record index (0-based, which is also the line index), the byte position of that line in the body
 * and what was wrong; the caller appends nothing after one.
 *
 * <p>Thread-safety: not thread-safe; one instance per request, fed by one stream stage.
 */
final class NdjsonBatchReader {
  /** Error detail: the 0-based index of the refused record (its line). */
  static final String RECORD_INDEX = "recordIndex";

  /** Error detail: the byte position in the body where the refused record's line starts. */
  static final String BYTE_POSITION = "bytePosition";

  private final long maxBatchBytes;
  private final String maxBatchName;
  private final long timestamp;
  private final List<Record> records = new ArrayList<>();
  private long batchBytes = BatchLayout.HEADER_BYTES;
  private long valueBytes;

  /** Where the next line starts in the body. */
  private long position;

  /** The first blank line seen after the last record, or -1: an error if a record follows it. */
  private long blankLineAt = -1;

  /**
   * @param maxBatchBytes the partition's batch limit
   * @param maxBatchName the setting that limit comes from, for messages
   * @param timestamp the CreateTime of a record whose line has none, epoch millis
   */
  NdjsonBatchReader(long maxBatchBytes, String maxBatchName, long timestamp) {
    this.maxBatchBytes = maxBatchBytes;
    this.maxBatchName = maxBatchName;
    this.timestamp = timestamp;
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
    Record record = parse(line, index, lineStart, timestamp);
    long baseTimestamp = records.isEmpty() ? record.timestamp() : records.get(0).timestamp();
    long size = MemoryBatchBuilder.sizeOfRecord(record, baseTimestamp, index);
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

  private static Record parse(byte[] line, int index, long lineStart, long timestamp) {
    ProduceRecord decoded;
    try {
      decoded = NdjsonCodec.readProduceLine(line);
    } catch (NdjsonLineException e) {
      throw malformed(index, lineStart, e.getMessage());
    }
    List<Header> headers = new ArrayList<>(decoded.headers().size());
    for (int i = 0; i < decoded.headers().size(); i++) {
      RecordHeader h = decoded.headers().get(i);
      headers.add(new Header(h.key(), h.value()));
    }
    return new Record(
        decoded.key(), decoded.value(), headers, decoded.timestamp().orElse(timestamp));
  }

  private static boolean isBlank(byte[] line) {
    for (byte b : line) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
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
