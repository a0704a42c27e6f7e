package dev.sluice.log;

import dev.sluice.format.Header;
import dev.sluice.log.record.CompressedRecords;
import dev.sluice.log.record.StoredRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the record at {@code offset} is: its key and headers, and the position of its value, with
 * the batch it belongs to. In an uncompressed batch the value lies at {@code valuePosition} in
 * {@code valueFile} and can be streamed from there; in a compressed batch ({@code compressed} not
 * null) {@code valuePosition} is its position in the batch's decompressed records, and {@link
 * #openValue} decompresses up to it.
 *
 * @param valueLength value size in bytes, or -1 for a null value
 * @param timestamp the record's CreateTime, epoch millis
 * @param compressed the compressed records that hold the value, or null
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
    long timestamp,
    CompressedRecords compressed) {

  /** A record of an uncompressed batch. */
  public RecordLocation(
      long offset,
      byte[] key,
      List<Header> headers,
      Path valueFile,
      long valuePosition,
      int valueLength,
      long batchBaseOffset,
      int leaderEpoch,
      long timestamp) {
    this(
        offset,
        key,
        headers,
        valueFile,
        valuePosition,
        valueLength,
        batchBaseOffset,
        leaderEpoch,
        timestamp,
        null);
  }

  /** True when the value's bytes lie in {@code valueFile} at {@code valuePosition} as they are. */
  public boolean valueInFile() {
    return compressed == null;
  }

  /** The value as a stream (empty for null), in bounded memory whatever its size; caller closes. */
  public InputStream openValue() throws IOException {
    return stored().openValue();
  }

  /** Reads a small value into memory; null for a null value. */
  public byte[] readValue() throws IOException {
    return stored().readValue();
  }

  private StoredRecord stored() {
    return new StoredRecord(
        offset, key, headers, valueFile, valuePosition, valueLength, timestamp, compressed);
  }
}
