package dev.sluice.client;

import dev.sluice.api.RecordHeader;
import java.util.List;
import java.util.Objects;

/**
 * A record read from a partition: its offset, key and value (each null or bytes) and headers in
 * order.
 *
 * <p>Thread-safety: immutable as far as nobody changes the arrays.
 *
 * @param headers never null; may be empty
 */
public record ConsumedRecord(long offset, byte[] key, byte[] value, List<RecordHeader> headers) {
  public ConsumedRecord {
    headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
  }
}
