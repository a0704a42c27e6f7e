package dev.sluice.node.http;

import dev.sluice.api.MediaTypes;
import dev.sluice.api.Paths;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.Query;

/**
 * The parameters of a batch fetch, read and checked once: where to start, how many bytes to answer,
 * how long to wait for how many, whether to follow the log, and the answer's format.
 *
 * <ul>
 *   <li>{@code maxBytes}: positive, 1 MiB when absent; at least one whole batch is answered
 *       whatever it says (KIP-74).
 *   <li>{@code maxWaitMs}: 0 or more, 0 when absent; larger values are capped by {@code
 *       sluice.api.max-fetch-wait}. In follow mode it is the idle bound, and 0 means the cap.
 *   <li>{@code minBytes}: positive, 1 when absent; a value above {@code maxBytes} counts as {@code
 *       maxBytes}, the most one answer can hold.
 *   <li>NDJSON when the {@code Accept} header names {@link MediaTypes#NDJSON} (not by a wildcard)
 *       and does not prefer {@link MediaTypes#OCTET_STREAM}; stored batches otherwise.
 * </ul>
 *
 * <p>Thread-safety: immutable.
 */
record FetchRequest(
    long offset, long maxBytes, Duration maxWait, long minBytes, boolean follow, boolean ndjson) {
  static final long DEFAULT_MAX_BYTES = 1024 * 1024;

  /**
   * @throws ApiException 400 naming the parameter, its value and the rule it broke
   */
  static FetchRequest of(String offsetParam, HttpRequest req, Duration maxFetchWait) {
    Query query = req.getUri().query();
    long offset = parseLong(Paths.OFFSET, offsetParam);
    if (offset < 0) {
      throw new ApiException(400, Paths.OFFSET + " = " + offset + ": must not be negative");
    }
    long maxBytes = optionalLong(query, Paths.MAX_BYTES).orElse(DEFAULT_MAX_BYTES);
    if (maxBytes <= 0) {
      throw new ApiException(400, Paths.MAX_BYTES + " = " + maxBytes + ": must be positive");
    }
    long maxWaitMs = optionalLong(query, Paths.MAX_WAIT_MS).orElse(0L);
    if (maxWaitMs < 0) {
      throw new ApiException(
          400, Paths.MAX_WAIT_MS + " = " + maxWaitMs + ": must be 0 (no wait) or more");
    }
    long minBytes = optionalLong(query, Paths.MIN_BYTES).orElse(1L);
    if (minBytes <= 0) {
      throw new ApiException(400, Paths.MIN_BYTES + " = " + minBytes + ": must be positive");
    }
    boolean follow = parseBoolean(Paths.FOLLOW, query.get(Paths.FOLLOW).orElse("false"));
    Duration wait = Duration.ofMillis(maxWaitMs);
    if (wait.compareTo(maxFetchWait) > 0 || (follow && wait.isZero())) {
      wait = maxFetchWait;
    }
    return new FetchRequest(
        offset, maxBytes, wait, Math.min(minBytes, maxBytes), follow, wantsNdjson(req));
  }

  /** Whether the client asked for NDJSON by name, and not for octets with a higher quality. */
  static boolean wantsNdjson(HttpRequest req) {
    float ndjson = 0;
    float octets = 0;
    for (HttpHeader accept : req.getHeaders()) {
      if (!accept.is("accept")) {
        continue;
      }
      for (String range : accept.value().split(",")) {
        String[] parts = range.split(";");
        String type = parts[0].trim();
        float q = quality(parts);
        if (type.equalsIgnoreCase(MediaTypes.NDJSON)) {
          ndjson = Math.max(ndjson, q);
        } else if (type.equalsIgnoreCase(MediaTypes.OCTET_STREAM)) {
          octets = Math.max(octets, q);
        }
      }
    }
    return ndjson > 0 && ndjson >= octets;
  }

  /** The {@code q} parameter of a media range, 1 when absent or unreadable. */
  private static float quality(String[] parts) {
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim();
      if (p.startsWith("q=")) {
        try {
          return Float.parseFloat(p.substring(2).trim());
        } catch (NumberFormatException e) {
          return 1;
        }
      }
    }
    return 1;
  }

  private static Optional<Long> optionalLong(Query query, String name) {
    return query.get(name).map(v -> parseLong(name, v));
  }

  private static long parseLong(String name, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new ApiException(400, name + " = " + value + ": must be an integer");
    }
  }

  private static boolean parseBoolean(String name, String value) {
    if (value.equalsIgnoreCase("true")) {
      return true;
    }
    if (value.equalsIgnoreCase("false")) {
      return false;
    }
    throw new ApiException(400, name + " = " + value + ": must be true or false");
  }
}
