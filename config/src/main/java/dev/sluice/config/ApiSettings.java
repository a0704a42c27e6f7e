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
 */
public record ApiSettings(int port, Duration requestTimeout, long inlineBatchBytes) {
  /** The default of {@code inline-batch-bytes} when it is not set (and max-batch-bytes allows). */
  public static final long DEFAULT_INLINE_BATCH_BYTES = 16L * 1024 * 1024;
}
