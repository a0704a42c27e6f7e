package dev.sluice.config;

import java.time.Duration;

/**
 * The stall watchdog ({@code sluice.watchdog}).
 *
 * @param interval how often every local replica is sampled
 * @param stallTimeout a replica behind its leader with no progress for this long is stalled
 */
public record WatchdogSettings(Duration interval, Duration stallTimeout) {}
