package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CheckerValuesTest {

  @ParameterizedTest
  @ValueSource(ints = {CheckerValues.MIN_LENGTH, 1000, 256 * 1024 + 1, 512 * 1024})
  void aValueIsReproducibleAndIdentifiesItself(int length) {
    byte[] v = CheckerValues.value(3, 12345, length);
    assertEquals(length, v.length);
    assertArrayEquals(v, CheckerValues.value(3, 12345, length));
    assertEquals(Optional.of(new CheckerValues.Id(3, 12345, length)), CheckerValues.identify(v));
    assertTrue(CheckerValues.intact(v));
  }

  @Test
  void valuesOfDifferentWritersOrSequencesDiffer() {
    byte[] a = CheckerValues.value(1, 7, 500);
    assertFalse(Arrays.equals(a, CheckerValues.value(2, 7, 500)));
    assertFalse(Arrays.equals(a, CheckerValues.value(1, 8, 500)));
  }

  @Test
  void aChangedByteOrATruncatedValueIsNotIntact() {
    byte[] v = CheckerValues.value(0, 1, 300);
    byte[] flipped = v.clone();
    flipped[200] ^= 1;
    assertFalse(CheckerValues.intact(flipped));
    assertTrue(
        CheckerValues.describe(flipped).endsWith(", damaged"), CheckerValues.describe(flipped));
    assertFalse(CheckerValues.intact(Arrays.copyOf(v, 299)));
  }

  @Test
  void aForeignValueIsDescribedNotIdentified() {
    byte[] x = "x: appended by the leader alone".getBytes(StandardCharsets.US_ASCII);
    assertEquals(Optional.empty(), CheckerValues.identify(x));
    assertFalse(CheckerValues.intact(x));
    assertEquals("\"x: appended by the leader alone\"", CheckerValues.describe(x));
    assertEquals("an unknown value of 3 bytes", CheckerValues.describe(new byte[] {0, 1, 2}));
  }

  @Test
  void aValueShorterThanItsHeaderIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> CheckerValues.value(0, 0, 10));
  }
}
