package dev.sluice.node;

import java.time.Duration;

/**
 * How long a node waits before it rejoins after the cluster removed it: 1 s the first time, doubled
 * (up to 30 s) while removals come soon after each other, back to 1 s after an incarnation that
 * stayed up for 5 minutes. Keeps a node that is removed over and over (a flapping network) from
 * churning the cluster's membership. Pure.
 */
final class RejoinDelay {
  static final Duration FIRST = Duration.ofSeconds(1);
  static final Duration MAX = Duration.ofSeconds(30);
  static final Duration STABLE = Duration.ofMinutes(5);

  private RejoinDelay() {}

  /**
   * @param previous the delay before the incarnation that just ended (zero for the first)
   * @param uptime how long that incarnation ran
   */
  static Duration next(Duration previous, Duration uptime) {
    if (previous.isZero() || uptime.compareTo(STABLE) >= 0) {
      return FIRST;
    }
    Duration doubled = previous.multipliedBy(2);
    return doubled.compareTo(MAX) > 0 ? MAX : doubled;
  }
}
