package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.api.Permission.Action;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PermissionTest {

  @ParameterizedTest(name = "{0} grants {1} on ''{2}'': {3}")
  @CsvSource({
    "produce:orders,     PRODUCE, orders,      true",
    "produce:orders,     PRODUCE, orders2,     false",
    "produce:orders,     PRODUCE, order,       false",
    "produce:orders,     CONSUME, orders,      false",
    "produce:orders-*,   PRODUCE, orders-eu,   true",
    "produce:orders-*,   PRODUCE, orders-,     true",
    "produce:orders-*,   PRODUCE, orders,      false",
    "produce:orders-*,   PRODUCE, payments-eu, false",
    "consume:*,          CONSUME, anything.at_all-1, true",
    "consume:*,          PRODUCE, anything,    false",
    "consume:*-eu,       CONSUME, orders-eu,   true",
    "consume:*-eu,       CONSUME, orders-eu-2, false",
    "consume:*-eu,       CONSUME, -eu,         true",
    "consume:a*b*c,      CONSUME, abc,         true",
    "consume:a*b*c,      CONSUME, axxbyyc,     true",
    "consume:a*b*c,      CONSUME, axxbyycz,    false",
    "consume:a*b*c,      CONSUME, acb,         false",
    "consume:a**,        CONSUME, a,           true",
    "consume:o.x,        CONSUME, oax,         false",
    "admin,              ADMIN,   '',          true",
    "admin,              ADMIN,   orders,      true",
    "admin,              PRODUCE, orders,      false",
    "admin,              CONSUME, orders,      false",
    "produce:*,          ADMIN,   '',          false",
  })
  void globTable(String permission, Action action, String topic, boolean grants) {
    assertEquals(grants, Permission.parse(permission).grants(action, topic));
  }

  @ParameterizedTest
  @CsvSource({"admin", "produce:orders-*", "consume:*", "produce:a.b_c-*"})
  void textFormRoundTrips(String text) {
    assertEquals(text, Permission.parse(text).toString());
    assertEquals(Permission.parse(text), Permission.parse(Permission.parse(text).toString()));
  }

  @ParameterizedTest
  @CsvSource({"ADMIN, admin", "Produce:orders, produce:orders", "' consume:x ', consume:x"})
  void actionIsCaseInsensitiveAndSpacesAround(String text, String parsed) {
    assertEquals(parsed, Permission.parse(text).toString());
  }

  @ParameterizedTest(name = "''{0}''")
  @CsvSource(
      delimiter = '|',
      value = {
        "''|permission '' is invalid: use admin, produce:<topics> or consume:<topics> (topics: a"
            + " topic name, '*' matching any characters)",
        "write:x|permission 'write:x' is invalid: use admin, produce:<topics> or consume:<topics>"
            + " (topics: a topic name, '*' matching any characters)",
        "produce|permission 'produce' is invalid: write produce:<topics>, e.g. produce:orders or"
            + " produce:*",
        "produce:|permission 'produce:' is invalid: the topics must be 1 to 210 characters of A-Z,"
            + " a-z, 0-9, '.', '_', '-' and '*' (any characters)",
        "consume:a b|permission 'consume:a b' is invalid: the topics must be 1 to 210 characters of"
            + " A-Z, a-z, 0-9, '.', '_', '-' and '*' (any characters)",
        "consume:a?|permission 'consume:a?' is invalid: the topics must be 1 to 210 characters of"
            + " A-Z, a-z, 0-9, '.', '_', '-' and '*' (any characters)",
        "admin:x|permission 'admin:x' is invalid: admin applies to no topic, write 'admin'",
        "admin:|permission 'admin:' is invalid: admin applies to no topic, write 'admin'",
      })
  void invalidTextIsRefusedNamingItAndTheRule(String text, String message) {
    assertEquals(
        message,
        assertThrows(IllegalArgumentException.class, () -> Permission.parse(text)).getMessage());
  }

  @org.junit.jupiter.api.Test
  void requiredNamesTheRequestsTopicVerbatim() {
    assertEquals("produce:payments", Permission.required(Action.PRODUCE, "payments"));
    assertEquals("consume:bad name!", Permission.required(Action.CONSUME, "bad name!"));
    assertEquals("admin", Permission.required(Action.ADMIN, "ignored"));
    assertThrows(IllegalArgumentException.class, () -> new Permission(Action.ADMIN, "x"));
    assertFalse(Permission.matches("a*", "b"));
  }

  @org.junit.jupiter.api.Test
  void manyStarsOnALongTopicMatchInLinearTime() {
    String topic = "a".repeat(200);
    // exponential backtracking would never finish this
    assertFalse(Permission.consume("*a*a*a*a*a*a*a*a*a*a*b").grants(Action.CONSUME, topic));
  }
}
