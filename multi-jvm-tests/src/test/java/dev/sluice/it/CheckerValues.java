package dev.sluice.it;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The record values of the durability checker: unique per (writer, sequence) and reproducible from
 * (writer, sequence, length) alone, so acknowledged records are checked without keeping them in
 * memory. A value is an ASCII header {@code sluice-checker w=W s=S n=N\n} followed by bytes drawn
 * from a generator seeded with (W, S); N is the whole value's length. Any value found in a log can
 * be identified by its header and checked against what its writer sent. Pure and thread-safe.
 */
final class CheckerValues {
  private static final Pattern HEADER =
      Pattern.compile("sluice-checker w=(\\d+) s=(\\d+) n=(\\d+)\n");

  /** Longer than any header, so that every length leaves room for it. */
  static final int MIN_LENGTH = 64;

  private CheckerValues() {}

  /** What a value claims to be. */
  record Id(int writer, long seq, int length) {
    @Override
    public String toString() {
      return "writer " + writer + " seq " + seq + " (" + length + " bytes)";
    }
  }

  static byte[] value(int writer, long seq, int length) {
    if (length < MIN_LENGTH) {
      throw new IllegalArgumentException(
          "value length " + length + " is below the minimum " + MIN_LENGTH);
    }
    byte[] header =
        ("sluice-checker w=" + writer + " s=" + seq + " n=" + length + "\n")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] value = new byte[length];
    System.arraycopy(header, 0, value, 0, header.length);
    byte[] body = new byte[length - header.length];
    new SplittableRandom(writer * 0x9E3779B97F4A7C15L ^ seq).nextBytes(body);
    System.arraycopy(body, 0, value, header.length, body.length);
    return value;
  }

  /** The identity a value's header claims, if it has a well-formed one. */
  static Optional<Id> identify(byte[] value) {
    if (value == null) {
      return Optional.empty();
    }
    int end = Math.min(value.length, MIN_LENGTH);
    String head = new String(value, 0, end, StandardCharsets.US_ASCII);
    Matcher m = HEADER.matcher(head);
    if (!m.lookingAt()) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new Id(
              Integer.parseInt(m.group(1)),
              Long.parseLong(m.group(2)),
              Integer.parseInt(m.group(3))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** The value is exactly what the writer its header names sent. */
  static boolean intact(byte[] value) {
    return identify(value)
        .filter(id -> id.length() == value.length && id.length() >= MIN_LENGTH)
        .map(id -> Arrays.equals(value, value(id.writer(), id.seq(), id.length())))
        .orElse(false);
  }

  /** A short printable description of a value found in a log, for error messages. */
  static String describe(byte[] value) {
    if (value == null) {
      return "a null value";
    }
    return identify(value)
        .map(id -> id + (intact(value) ? "" : ", damaged"))
        .orElseGet(
            () ->
                printable(value)
                    ? "\"" + new String(value, StandardCharsets.US_ASCII) + "\""
                    : "an unknown value of " + value.length + " bytes");
  }

  private static boolean printable(byte[] value) {
    if (value.length > 80) {
      return false;
    }
    for (byte b : value) {
      if (b < 0x20 || b > 0x7e) {
        return false;
      }
    }
    return true;
  }
}
