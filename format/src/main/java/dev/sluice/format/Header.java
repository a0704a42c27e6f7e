package dev.sluice.format;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One record header: a UTF-8 key, never null (possibly empty), and a value that may be null
 * (encoded with length -1). Equality compares the value's bytes. Immutable if the caller does not
 * change the array after handing it over.
 */
public record Header(String key, byte[] value) {
  public Header {
    Objects.requireNonNull(key, "header key");
  }

  public byte[] keyBytes() {
    return key.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Header h && key.equals(h.key) && Arrays.equals(value, h.value);
  }

  @Override
  public int hashCode() {
    return 31 * key.hashCode() + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "Header[key="
        + key
        + ", value="
        + (value == null ? "null" : value.length + " bytes")
        + "]";
  }
}
