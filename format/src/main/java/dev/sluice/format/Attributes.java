package dev.sluice.format;

/**
 * The batch attributes (int16 at byte 21):
 *
 * <pre>
 * bits 0-2  compression: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd (5-7 invalid)
 * bit  3    timestamp type: 0 CreateTime, 1 LogAppendTime
 * bit  4    transactional
 * bit  5    control batch
 * bit  6    delete horizon: baseTimestamp holds the compaction delete horizon (KIP-534)
 * bits 7-15 unused, 0
 * </pre>
 *
 * Pure functions; thread-safe.
 */
public final class Attributes {
  public static final int COMPRESSION_MASK = 0x07;
  public static final int TIMESTAMP_TYPE_MASK = 0x08;
  public static final int TRANSACTIONAL_FLAG = 0x10;
  public static final int CONTROL_FLAG = 0x20;
  public static final int DELETE_HORIZON_FLAG = 0x40;
  public static final int UNUSED_MASK = 0xFF80;

  private Attributes() {}

  /** The attributes of a batch as Sluice produces it: CreateTime, not transactional. */
  public static short of(Compression compression) {
    return (short) compression.id();
  }

  public static int compressionId(short attributes) {
    return attributes & COMPRESSION_MASK;
  }

  /** The codec; {@link IllegalArgumentException} for the invalid ids 5-7. */
  public static Compression compression(short attributes) {
    return Compression.fromId(compressionId(attributes));
  }

  public static TimestampType timestampType(short attributes) {
    return (attributes & TIMESTAMP_TYPE_MASK) == 0
        ? TimestampType.CREATE_TIME
        : TimestampType.LOG_APPEND_TIME;
  }

  public static boolean isTransactional(short attributes) {
    return (attributes & TRANSACTIONAL_FLAG) != 0;
  }

  public static boolean isControl(short attributes) {
    return (attributes & CONTROL_FLAG) != 0;
  }

  public static boolean hasDeleteHorizon(short attributes) {
    return (attributes & DELETE_HORIZON_FLAG) != 0;
  }

  public static int unusedBits(short attributes) {
    return attributes & UNUSED_MASK;
  }
}
