package dev.sluice.config;

import java.time.Duration;

/**
 * Exponential backoff of a failed transfer ({@code sluice.replication.backoff}).
 *
 * @param min first delay
 * @param max cap of the delay
 * @param randomFactor jitter added as a fraction of the delay, so followers don't retry in step
 */
public record BackoffSettings(Duration min, Duration max, double randomFactor) {}
