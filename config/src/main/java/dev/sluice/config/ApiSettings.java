package dev.sluice.config;

import java.time.Duration;

/**
 * The client HTTP API ({@code sluice.api}).
 *
 * @param port TCP port of the API; 0 picks a free one (tests)
 * @param requestTimeout how long a produce waits for its acknowledgement condition
 * @param inlineBatchBytes the largest body of a batched produce request ({@code
 *     application/x-ndjson}); its records are decoded into memory before the one append, so this
 *     bounds the heap a request can take. At most {@code sluice.storage.max-batch-bytes}.
 * @param maxFetchWait the longest a fetch may wait for records ({@code maxWaitMs} is capped by it),
 *     and how long a follow-mode fetch stays open without new records; smaller than {@code
 *     requestTimeout}
 */
public record ApiSettings(
    int port, Duration requestTimeout, long inlineBatchBytes, Duration maxFetchWait) {
  /** The default of {@code inline-batch-bytes} when it is not set (and max-batch-bytes allows). */
  public static final long DEFAULT_INLINE_BATCH_BYTES = 16L * 1024 * 1024;

  /** The default of {@code max-fetch-wait} when it is not set (and the request timeout allows). */
  public static final Duration DEFAULT_MAX_FETCH_WAIT = Duration.ofSeconds(20);
}
