package dev.sluice.log.record;

import java.util.Objects;

/**
 * One record header: a UTF-8 key (at most 32767 encoded bytes, since its length is an int16) and a
 * nullable value.
 */
public record Header(String key, byte[] value) {
  public Header {
    Objects.requireNonNull(key, "header key");
  }
}
