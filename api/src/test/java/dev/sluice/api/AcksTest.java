package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class AcksTest {

  @ParameterizedTest
  @CsvSource({"all, ALL", "leader, LEADER"})
  void readsTheTwoQueryValues(String value, Acks expected) {
    assertEquals(expected, Acks.parse(value));
  }

  @ParameterizedTest
  @EnumSource(Acks.class)
  void queryValueReadsBack(Acks acks) {
    assertEquals(acks, Acks.parse(acks.queryValue()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"x", "ALL", "Leader", "1", "", " all"})
  void anythingElseIsRefusedWithTheServersMessage(String value) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Acks.parse(value));
    assertEquals("acks = " + value + ": must be all or leader", e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"ALL, all", "LEADER, leader"})
  void theWireValuesAreLowerCase(Acks acks, String value) {
    assertEquals(value, acks.queryValue());
  }

  @org.junit.jupiter.api.Test
  void aProduceWithoutAcksWaitsForAll() {
    assertEquals(Acks.ALL, Acks.DEFAULT);
  }
}
