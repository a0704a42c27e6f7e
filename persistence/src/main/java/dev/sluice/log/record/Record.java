package dev.sluice.log.record;

import java.util.List;

/**
 * A record to append, held in memory. Key and value may be null (encoded with length -1); the
 * header list may be null, which means no headers. Large values go through {@code
 * PartitionLog.appendValueFile} instead, which never holds the value in memory.
 */
public record Record(byte[] key, byte[] value, List<Header> headers) {
  public Record {
    headers = headers == null ? List.of() : List.copyOf(headers);
  }

  public static Record of(byte[] key, byte[] value) {
    return new Record(key, value, List.of());
  }
}
