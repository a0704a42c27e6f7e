package dev.sluice.config;

import java.time.Duration;

/**
 * The client HTTP API ({@code sluice.api}).
 *
 * @param port TCP port of the API; 0 picks a free one (tests)
 * @param requestTimeout how long a produce waits for its acknowledgement condition
 * @param maxFetchWait the longest a fetch may wait for records ({@code maxWaitMs} is capped by it),
 *     and how long a follow-mode fetch stays open without new records; smaller than {@code
 *     requestTimeout}
 */
public record ApiSettings(int port, Duration requestTimeout, Duration maxFetchWait) {}
