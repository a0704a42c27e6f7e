package dev.sluice.it;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** Waits on a condition of a process we do not control (a node JVM), with a deadline. */
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
}
