package dev.sluice.replication.follower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.config.BackoffSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackoffTest {
  private static final BackoffSettings SETTINGS =
      new BackoffSettings(Duration.ofMillis(100), Duration.ofSeconds(1), 0.2);

  @ParameterizedTest(name = "failure {0} waits {1} ms")
  @CsvSource({"1, 100", "2, 200", "3, 400", "4, 800", "5, 1000", "6, 1000", "64, 1000"})
  void delayDoublesFromMinAndIsCappedAtMax(int failures, long millis) {
    assertEquals(Duration.ofMillis(millis), new Backoff(SETTINGS, () -> 0).delay(failures));
  }

  @Test
  void jitterAddsUpToTheRandomFactorOfTheDelay() {
    assertEquals(Duration.ofMillis(110), new Backoff(SETTINGS, () -> 0.5).delay(1));
    assertEquals(Duration.ofMillis(1200), new Backoff(SETTINGS, () -> 1.0).delay(9));
  }

  @Test
  void hugeFailureCountsAndHugeMinimaDoNotOverflow() {
    Backoff b =
        new Backoff(new BackoffSettings(Duration.ofDays(365), Duration.ofDays(3650), 0.0), () -> 0);
    assertEquals(Duration.ofDays(3650), b.delay(Integer.MAX_VALUE));
    assertEquals(Duration.ofDays(730), b.delay(2));
    assertEquals(Duration.ofSeconds(1), new Backoff(SETTINGS, () -> 0).delay(Integer.MAX_VALUE));
  }

  @Test
  void minEqualToMaxIsConstant() {
    Backoff b =
        new Backoff(new BackoffSettings(Duration.ofMillis(50), Duration.ofMillis(50), 0), () -> 0);
    assertEquals(Duration.ofMillis(50), b.delay(1));
    assertEquals(Duration.ofMillis(50), b.delay(30));
  }

  @Test
  void failureCountStartsAtOne() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(SETTINGS, () -> 0).delay(0));
  }

  @ParameterizedTest(name = "progressed={0} inSync={1} ran={2}ms -> reset={3}")
  @CsvSource({
    "false, false, 5000, false", // connected for long, never moved: the incident's loop
    "false, true,  999,  false", // in sync briefly, nothing moved: a flapping connection
    "false, true,  1000, true", //  in sync for max with nothing to copy: healthy
    "true,  false, 999,  false", // moved a little, failed quickly
    "true,  false, 1000, true", //  moved and lasted max
    "true,  true,  1,    true", //  moved and caught up
  })
  void resetsOnlyAfterSustainedProgress(
      boolean progressed, boolean inSync, long ranMillis, boolean reset) {
    assertEquals(
        reset,
        new Backoff(SETTINGS, () -> 0).resets(progressed, inSync, Duration.ofMillis(ranMillis)));
  }
}
