package dev.sluice.config;

import java.time.Duration;

/**
 * The client HTTP API ({@code sluice.api}).
 *
 * @param port TCP port of the API; 0 picks a free one (tests)
 * @param requestTimeout how long a produce waits for its acknowledgement condition
 */
public record ApiSettings(int port, Duration requestTimeout) {}
