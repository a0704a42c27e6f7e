package dev.sluice.it;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits on a condition of a process we do not control (a node JVM), with a deadline; or checks that
 * a condition keeps holding for a while. Polls every 50 ms unless told otherwise.
 */
final class Await {
  private static final Duration POLL = Duration.ofMillis(50);

  private Await() {}

  static void until(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what);
      }
      Thread.sleep(POLL.toMillis()); // polling interval of a condition wait, not a guess
    }
  }

  /**
   * Waits until {@code probe} yields a value, polling every {@code interval}. On timeout the
   * failure carries {@code lastState}'s description of what was seen last.
   */
  static <T> T value(
      Supplier<Optional<T>> probe,
      Duration timeout,
      Duration interval,
      String what,
      Supplier<String> lastState)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      Optional<T> v = probe.get();
      if (v.isPresent()) {
        return v.get();
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            "timed out after "
                + timeout
                + " waiting until "
                + what
                + "; last seen: "
                + lastState.get());
      }
      Thread.sleep(interval.toMillis()); // polling interval of a condition wait, not a guess
    }
  }

  /**
   * Checks {@code violation} every {@code interval} for {@code period}: it must stay empty. The
   * first violation fails at once, naming when it was seen.
   */
  static void holdsFor(
      Supplier<Optional<String>> violation, Duration period, Duration interval, String what)
      throws InterruptedException {
    Instant start = Instant.now();
    Instant end = start.plus(period);
    while (true) {
      Optional<String> v = violation.get();
      if (v.isPresent()) {
        throw new AssertionError(
            what
                + " stopped holding after "
                + Duration.between(start, Instant.now()).toMillis()
                + " ms of "
                + period.toMillis()
                + " ms: "
                + v.get());
      }
      if (!Instant.now().isBefore(end)) {
        return;
      }
      Thread.sleep(interval.toMillis()); // sampling interval of an invariant check
    }
  }
}
