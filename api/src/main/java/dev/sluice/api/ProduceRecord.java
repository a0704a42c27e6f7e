package dev.sluice.api;

import java.util.List;
import java.util.Objects;

/**
 * One record of a batched produce request ({@link MediaTypes#NDJSON}): a key and a value, each of
 * them null or bytes, and headers in order. The server writes the records of one request as one
 * batch, all or nothing.
 *
 * <p>Thread-safety: immutable as far as the caller does not change the arrays it handed in.
 *
 * @param key the record key, or null
 * @param value the record value, or null
 * @param headers the record headers, in order (never null; may be empty)
 */
public record ProduceRecord(byte[] key, byte[] value, List<RecordHeader> headers) {
  public ProduceRecord {
    headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
  }

  /** A record without headers. */
  public ProduceRecord(byte[] key, byte[] value) {
    this(key, value, List.of());
  }
}
