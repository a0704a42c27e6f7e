package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The controller's topic name rule: 1-200 of {@code [A-Za-z0-9._-]}, never "." or "..". */
class TopicNamesTest {
  private static final String RULE =
      "is invalid: use 1 to 200 characters of A-Z, a-z, 0-9, '.', '_', '-' (not '.' or '..')";

  static Stream<String> validNames() {
    return Stream.of(
        "a",
        "orders",
        "Orders-2024_v1.0",
        "0",
        "-",
        "_",
        ".a",
        "a.",
        "...",
        "a..b",
        "x".repeat(200));
  }

  static Stream<Arguments> invalidNames() {
    return Stream.of(
        Arguments.of("", "''"),
        Arguments.of(".", "'.'"),
        Arguments.of("..", "'..'"),
        Arguments.of("bad name!", "'bad name!'"),
        Arguments.of("a/b", "'a/b'"),
        Arguments.of("a\\b", "'a\\b'"),
        Arguments.of("a:b", "'a:b'"),
        Arguments.of("caf\u00e9", "'caf\u00e9'"),
        Arguments.of("tab\t", "'tab\t'"),
        Arguments.of("x".repeat(201), "'" + "x".repeat(201) + "'"),
        Arguments.of("x".repeat(210), "'" + "x".repeat(210) + "'"),
        // Longer names are quoted shortened, with their length.
        Arguments.of("x".repeat(211), "'" + "x".repeat(200) + "... (211 chars)'"),
        Arguments.of("y".repeat(5000), "'" + "y".repeat(200) + "... (5000 chars)'"));
  }

  @ParameterizedTest
  @MethodSource("validNames")
  void validNamesPass(String name) {
    assertEquals(Optional.empty(), TopicNames.violation(name));
    assertEquals(name, TopicNames.check(name));
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void invalidNamesAreRefusedQuotingTheNameAndTheRule(String name, String quoted) {
    String expected = "topic name " + quoted + " " + RULE;
    assertEquals(Optional.of(expected), TopicNames.violation(name));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TopicNames.check(name));
    assertEquals(expected, e.getMessage());
  }

  @Test
  void aMissingNameIsTheEmptyOne() {
    assertEquals(Optional.of("topic name '' " + RULE), TopicNames.violation(null));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> TopicNames.check(null))
            .getMessage()
            .startsWith("topic name '' "));
  }
}
