package dev.sluice.config;

import java.time.Duration;

/**
 * Preferred-leader balance ({@code sluice.controller.auto-leader-balance} and {@code
 * sluice.controller.leader-balance.*}): the first replica of each partition is its preferred
 * leader, and the controller moves leadership back to it once it is in sync again. Immutable.
 *
 * @param enabled whether the controller checks on its own; a manual rebalance works either way
 * @param interval how often the controller checks
 * @param imbalancePercent a node's preferred partitions are moved back only when more than this
 *     share of them (in percent) is led elsewhere; 0 moves every one
 */
public record LeaderBalanceSettings(boolean enabled, Duration interval, int imbalancePercent) {
  /** The reference defaults. */
  public static final LeaderBalanceSettings DEFAULT =
      new LeaderBalanceSettings(true, Duration.ofSeconds(30), 10);

  /** No automatic balance: leaders move back only when asked to. */
  public static final LeaderBalanceSettings MANUAL =
      new LeaderBalanceSettings(false, Duration.ofSeconds(30), 10);
}
