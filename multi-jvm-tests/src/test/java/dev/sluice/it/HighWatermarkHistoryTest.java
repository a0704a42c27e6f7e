package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class HighWatermarkHistoryTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void risingOrEqualValuesAreFine() {
    HighWatermarkHistory h = new HighWatermarkHistory();
    h.record(1, "a", "t-0", 0, T);
    h.record(1, "a", "t-0", 5, T);
    h.record(1, "a", "t-0", 5, T);
    h.record(1, "a", "t-0", 9, T);
    assertEquals(List.of(), h.decreases());
    assertEquals(9, h.highest("t-0"));
    assertEquals(4, h.samples());
  }

  @Test
  void aLowerValueInTheSameIncarnationIsADecrease() {
    HighWatermarkHistory h = new HighWatermarkHistory();
    h.record(2, "a", "t-1", 7, T);
    h.record(2, "a", "t-1", 6, T.plusSeconds(1));
    assertEquals(
        List.of(new HighWatermarkHistory.Decrease(2, "a", "t-1", 7, 6, T.plusSeconds(1))),
        h.decreases());
  }

  @Test
  void aLowerValueAfterARestartIsADecreaseToo() {
    HighWatermarkHistory h = new HighWatermarkHistory();
    h.record(2, "a", "t-1", 7, T);
    h.record(2, "b", "t-1", 3, T);
    h.record(2, "b", "t-1", 8, T);
    assertEquals(List.of(new HighWatermarkHistory.Decrease(2, "b", "t-1", 7, 3, T)), h.decreases());
  }

  @Test
  void replicasAreTrackedSeparately() {
    HighWatermarkHistory h = new HighWatermarkHistory();
    h.record(1, "a", "t-0", 10, T);
    h.record(2, "b", "t-0", 4, T);
    h.record(1, "a", "t-1", 2, T);
    assertEquals(List.of(), h.decreases());
    assertEquals(10, h.highest("t-0"));
  }
}
