package dev.sluice.node.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Byte sizes on the command line and in output: {@code 512MiB}, {@code 64m}, {@code 1KiB}, {@code
 * 1048576} in, {@code 64.0 MiB} out. Units are binary, as in the node's config ({@code 1MiB}).
 */
final class DemoSizes {

  static final long KIB = 1024;
  static final long MIB = 1024 * KIB;
  static final long GIB = 1024 * MIB;

  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)", Pattern.CASE_INSENSITIVE);

  private DemoSizes() {}

  /**
   * Parses a size.
   *
   * @throws IllegalArgumentException saying what is expected
   */
  static long parse(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size like 1048576, 64KiB, 64MiB or 1GiB");
    }
    long unit =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "k", "kb", "kib" -> KIB;
          case "m", "mb", "mib" -> MIB;
          case "g", "gb", "gib" -> GIB;
          default -> 1;
        };
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is too large");
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
