package dev.sluice.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one JSON configuration of the client API, used by server and client alike so that both write
 * and read the same wire form.
 *
 * <p>Reading is lenient in the ways that let an older client talk to a newer server: unknown fields
 * are ignored, and an unknown {@link ReplicaState} label reads as {@link ReplicaState#UNKNOWN}.
 * Writing is Jackson's default (record components in declaration order, nulls written).
 *
 * <p>Thread-safety: the mapper is safe to share once configured, and it is configured here only.
 * Never reconfigure it; {@link ObjectMapper#copy()} gives a variant.
 */
public final class ApiJson {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE)
          .build();

  private ApiJson() {}

  /** The shared mapper. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }
}
