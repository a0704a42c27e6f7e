package dev.sluice.replication.protocol;

import java.util.function.Function;

/**
 * The constants of a wire enum indexed by their one-byte code, so that decoding a code is one array
 * read. Refuses two constants with the same code when the enum initialises: a code names one
 * meaning forever.
 *
 * <p>Thread-safety: immutable after construction.
 */
final class CodeTable<E extends Enum<E>> {
  private final Object[] byCode = new Object[256];

  CodeTable(E[] constants, Function<E, Byte> code) {
    for (E e : constants) {
      int index = code.apply(e) & 0xFF;
      if (byCode[index] != null) {
        throw new IllegalStateException(
            e + " and " + byCode[index] + " share the wire code " + code.apply(e));
      }
      byCode[index] = e;
    }
  }

  /** The constant with this code, or null for a code no constant has. */
  @SuppressWarnings("unchecked")
  E get(byte code) {
    return (E) byCode[code & 0xFF];
  }
}
