package dev.sluice.api;

import java.util.Locale;

/**
 * When a produce is acknowledged: the {@code acks} query parameter of {@code POST .../records}.
 *
 * <p>Thread-safety: immutable.
 */
public enum Acks {
  /** Once the high watermark passed the record: every in-sync replica holds it. The default. */
  ALL,
  /** Once the leader wrote the record to its log; a leader failover may lose it. */
  LEADER;

  /** What a produce without the parameter gets. */
  public static final Acks DEFAULT = ALL;

  /** The parameter's value on the wire: {@code all} or {@code leader}. */
  public String queryValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Reads a query value, exactly as the server accepts it (lower case only).
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static Acks parse(String value) {
    for (Acks acks : values()) {
      if (acks.queryValue().equals(value)) {
        return acks;
      }
    }
    throw new IllegalArgumentException(Paths.ACKS + " = " + value + ": must be all or leader");
  }
}
