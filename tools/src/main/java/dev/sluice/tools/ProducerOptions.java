package dev.sluice.tools;

import dev.sluice.client.SluiceProducer;
import dev.sluice.format.Compression;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The values of the producer options that {@code produce} and {@code bench produce} share: {@code
 * --compression none|gzip|snappy|lz4|zstd} and {@code --idempotence on|off}.
 *
 * <p>Thread-safety: stateless.
 */
final class ProducerOptions {

  static final String COMPRESSION_LABEL = "none|gzip|snappy|lz4|zstd";

  static final String COMPRESSION_DESCRIPTION =
      "Codec of each batch's records, as Kafka's producer writes them (default: none).";

  static final String IDEMPOTENCE_DESCRIPTION =
      "on: batches carry a producer id and sequences, so a retry after a lost answer is not"
          + " written twice, with at most "
          + SluiceProducer.MAX_IN_FLIGHT_IDEMPOTENT
          + " batches in flight per partition; off: at least once (default: on).";

  private ProducerOptions() {}

  /** A codec by its Kafka name, case-insensitively; anything else is a usage error. */
  static final class CompressionConverter implements ITypeConverter<Compression> {
    @Override
    public Compression convert(String value) {
      String name = value.trim().toLowerCase(Locale.ROOT);
      for (Compression c : Compression.values()) {
        if (c.wireName().equals(name)) {
          return c;
        }
      }
      throw new TypeConversionException(
          "'"
              + value
              + "' is not a compression: "
              + Arrays.stream(Compression.values())
                  .map(Compression::wireName)
                  .collect(Collectors.joining(", ")));
    }
  }

  /**
   * The value of an {@code on|off} option (not a {@code boolean} field, which picocli would treat
   * as a flag and hand the converter "true" or "false").
   */
  enum OnOff {
    ON,
    OFF;

    boolean on() {
      return this == ON;
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code on} or {@code off}, case-insensitively. */
  static final class OnOffConverter implements ITypeConverter<OnOff> {
    @Override
    public OnOff convert(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "on" -> OnOff.ON;
        case "off" -> OnOff.OFF;
        default -> throw new TypeConversionException("'" + value + "' is not on or off");
      };
    }
  }
}
