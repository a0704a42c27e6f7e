package dev.sluice.client;

import dev.sluice.api.RecordHeader;
import java.util.List;
import java.util.Objects;

/**
 * A record read from a partition: its offset, timestamp, key and value (each null or bytes) and
 * headers in order.
 *
 * <p>Thread-safety: immutable as far as nobody changes the arrays.
 *
 * @param timestamp the record's CreateTime, epoch millis (-1 when the record has none)
 * @param headers never null; may be empty
 */
public record ConsumedRecord(
    long offset, long timestamp, byte[] key, byte[] value, List<RecordHeader> headers) {
  public ConsumedRecord {
    headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
  }
}
