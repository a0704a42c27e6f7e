package dev.sluice.log.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition in plain Java, for tests that run no actor system: the condition is polled
 * until it holds or the deadline passes, so a test waits exactly as long as the system needs and
 * fails with a message instead of hanging.
 */
public final class Conditions {
  /** Pause between two polls: short against any deadline, long enough not to spin a core. */
  static final Duration POLL_INTERVAL = Duration.ofMillis(20);

  private Conditions() {}

  /**
   * Returns as soon as {@code condition} holds; polls it until {@code timeout} has passed.
   *
   * @throws AssertionError naming {@code what} and the timeout if the condition never held
   */
  public static void await(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      LockSupport.parkNanos(POLL_INTERVAL.toNanos());
    }
  }
}
