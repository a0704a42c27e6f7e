package dev.sluice.format;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Record lists that exercise every encoding corner: null and empty keys, values, headers. */
final class Fixtures {
  static final long T0 = 1_764_460_800_000L;

  private Fixtures() {}

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Text-like bytes that compress, so every codec produces several blocks for large values. */
  static byte[] text(int n) {
    byte[] b = new byte[n];
    String words = "the quick brown fox jumps over the lazy dog sluice kafka batch ";
    Random r = new Random(n);
    for (int i = 0; i < n; i++) {
      b[i] = (byte) words.charAt((i + r.nextInt(3)) % words.length());
    }
    return b;
  }

  /**
   * Null and empty keys and values, headers with null and empty values and an empty key, UTF-8,
   * timestamps below the first (a negative delta), and values large enough to span codec blocks.
   */
  static List<Record> mixed() {
    List<Record> rs = new ArrayList<>();
    rs.add(Record.of(null, null, T0));
    rs.add(Record.of(new byte[0], new byte[0], T0 + 1));
    rs.add(Record.of(utf8("order-1"), utf8("{\"qty\":2}"), T0 - 5));
    rs.add(
        new Record(
            utf8("ключ"),
            utf8("значение"),
            List.of(
                new Header("trace", new byte[] {1, 2}),
                new Header("", new byte[0]),
                new Header("null-value", null),
                new Header("ü", utf8("ü"))),
            T0 + 1000));
    rs.add(Record.of(null, text(200_000), T0 + 2));
    rs.add(Record.of(random(300, 1), random(70_000, 2), Long.MAX_VALUE / 4));
    rs.add(Record.of(utf8("k"), null, T0 + 3));
    return rs;
  }
}
