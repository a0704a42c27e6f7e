package dev.sluice.api;

import java.util.Objects;

/**
 * A record header: a non-null name and a value that may be null.
 *
 * <p>Thread-safety: immutable as far as the caller does not change the array it handed in.
 */
public record RecordHeader(String key, byte[] value) {
  public RecordHeader {
    Objects.requireNonNull(key, "header key");
  }
}
