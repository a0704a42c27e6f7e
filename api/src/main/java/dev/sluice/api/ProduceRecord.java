package dev.sluice.api;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One record of a batched produce request ({@link MediaTypes#NDJSON}): a key and a value, each of
 * them null or bytes, headers in order, and optionally its timestamp (CreateTime, epoch millis;
 * without one, an NDJSON request gets the time it arrived at the server, and a record sent through
 * the producer the time it was sent). The server writes the records of one request as one batch,
 * all or nothing.
 *
 * <p>Thread-safety: immutable as far as the caller does not change the arrays it handed in.
 *
 * @param key the record key, or null
 * @param value the record value, or null
 * @param headers the record headers, in order (never null; may be empty)
 * @param timestamp the record's CreateTime in epoch millis, or empty for the request's arrival
 */
public record ProduceRecord(
    byte[] key, byte[] value, List<RecordHeader> headers, OptionalLong timestamp) {
  public ProduceRecord {
    headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
    Objects.requireNonNull(timestamp, "timestamp");
  }

  /** A record stamped with the time its request arrives. */
  public ProduceRecord(byte[] key, byte[] value, List<RecordHeader> headers) {
    this(key, value, headers, OptionalLong.empty());
  }

  /** A record without headers. */
  public ProduceRecord(byte[] key, byte[] value) {
    this(key, value, List.of());
  }
}
