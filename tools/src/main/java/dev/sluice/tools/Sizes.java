package dev.sluice.tools;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Byte sizes on the command line and in output: {@code 512MiB}, {@code 64m}, {@code 1KiB}, {@code
 * 1048576} in, {@code 64.0 MiB} out.
 *
 * <p>A size on the command line means what it means in a node's config file: it is read by the
 * config library's own size parser, so {@code k}, {@code K}, {@code KiB}, {@code m}, {@code M},
 * {@code MiB}, {@code g}, {@code G} and {@code GiB} are binary units, while {@code kB}, {@code MB}
 * and {@code GB} are decimal ones, exactly as in {@code --set sluice.storage.segment-bytes=...}.
 * Unit spellings the config file refuses (such as {@code mb}) are refused here as well rather than
 * guessed.
 *
 * <p>Thread-safety: stateless.
 */
final class Sizes {

  static final long KIB = 1024;
  static final long MIB = 1024 * KIB;
  static final long GIB = 1024 * MIB;

  private static final String KEY = "size";

  private Sizes() {}

  /**
   * Parses a size.
   *
   * @throws IllegalArgumentException quoting the text and saying what is expected
   */
  static long parse(String text) {
    try {
      return ConfigFactory.empty()
          .withValue(KEY, ConfigValueFactory.fromAnyRef(text.trim()))
          .getBytes(KEY);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not a size like 1048576, 64KiB, 64m or 1GiB (units as in a node's config:"
              + " k, K, KiB, m, M, MiB, g, G, GiB are powers of 1024; kB, MB, GB of 1000)");
    }
  }

  /** {@code 1.0 MiB}, {@code 512 B}: for people, not for parsing. */
  static String format(long bytes) {
    if (bytes < KIB) {
      return bytes + " B";
    }
    if (bytes < MIB) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / (double) KIB);
    }
    if (bytes < GIB) {
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }
    return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) GIB);
  }

  /** The exact size relative to 1 MiB where that is what matters: {@code 1 MiB - 1}. */
  static String describe(long bytes) {
    if (bytes >= MIB / 2 && Math.abs(bytes - Math.round(bytes / (double) MIB) * MIB) < KIB) {
      long mib = Math.round(bytes / (double) MIB);
      long rest = bytes - mib * MIB;
      return mib + " MiB" + (rest == 0 ? "" : rest > 0 ? " + " + rest : " - " + -rest);
    }
    return format(bytes);
  }

  static double mibPerSecond(long bytes, long nanos) {
    return nanos <= 0 ? 0 : bytes / (double) MIB / (nanos / 1e9);
  }

  /** The picocli converter: a bad size is a usage error. */
  static final class Converter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
