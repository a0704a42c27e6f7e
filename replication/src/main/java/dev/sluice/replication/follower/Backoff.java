package dev.sluice.replication.follower;

import dev.sluice.config.BackoffSettings;
import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * The follower's reconnect delays: exponential from {@code min}, capped at {@code max}, with jitter
 * so that the followers of a restarted leader do not reconnect in step. The n-th consecutive
 * failure (n from 1) waits {@code min(max, min * 2^(n-1)) * (1 + random * factor)}, the formula of
 * Pekko's {@code RestartSource}. Also decides when an attempt was healthy enough to start the count
 * again from {@code min}.
 *
 * <p>Pure apart from the injected random source; thread-safe if that source is.
 */
final class Backoff {
  /** Doublings beyond this overflow any realistic {@code max}; the cap applies long before. */
  private static final int MAX_DOUBLINGS = 62;

  private final BackoffSettings settings;
  private final DoubleSupplier random;

  /**
   * @param random values in [0, 1), e.g. {@code ThreadLocalRandom.current()::nextDouble}
   */
  Backoff(BackoffSettings settings, DoubleSupplier random) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The wait after {@code failures} consecutive failed attempts (at least 1). */
  Duration delay(int failures) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures " + failures + " < 1");
    }
    long min = settings.min().toNanos();
    long max = settings.max().toNanos();
    int doublings = Math.min(failures - 1, MAX_DOUBLINGS);
    long base = min > (max >> doublings) ? max : Math.min(max, min << doublings);
    double jittered = base * (1.0 + random.getAsDouble() * settings.randomFactor());
    return Duration.ofNanos(jittered >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) jittered);
  }

  /**
   * Whether an attempt that just ended was healthy, so that the next failure waits {@code min}
   * again. It must have moved the log (or the staged bytes of an oversized batch): an attempt that
   * connects and fails on the same input every time is exactly the loop of the incident, and keeps
   * growing its backoff. Moving is not enough on its own either, a flapping connection that moves a
   * little each time also backs off, unless it lasted {@code max} or reached the leader's end. An
   * attempt that stayed in sync for {@code max} is healthy too, even when no record was produced
   * meanwhile.
   *
   * @param ran how long the attempt lasted, on the injected clock
   */
  boolean resets(boolean progressed, boolean reachedInSync, Duration ran) {
    boolean lasted = ran.compareTo(settings.max()) >= 0;
    return (progressed && (lasted || reachedInSync)) || (reachedInSync && lasted);
  }
}
