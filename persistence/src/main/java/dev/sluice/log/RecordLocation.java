package dev.sluice.log;

import dev.sluice.format.Header;
import dev.sluice.log.record.StoredRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the record at {@code offset} is: its key and headers, and the position of its value in a
 * segment file (so it can be streamed), with the batch it belongs to.
 *
 * @param valueLength value size in bytes, or -1 for a null value
 * @param timestamp the record's CreateTime, epoch millis
 */
public record RecordLocation(
    long offset,
    byte[] key,
    List<Header> headers,
    Path valueFile,
    long valuePosition,
    int valueLength,
    long batchBaseOffset,
    int leaderEpoch,
    long timestamp) {

  /** Reads a small value into memory; null for a null value. */
  public byte[] readValue() throws IOException {
    return new StoredRecord(offset, key, headers, valueFile, valuePosition, valueLength, timestamp)
        .readValue();
  }
}
