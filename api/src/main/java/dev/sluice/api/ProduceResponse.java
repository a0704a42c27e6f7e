package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What a successful {@code POST .../records} answers, {@code {"offset": N, "lastOffset": M,
 * "count": C}}, once the records are acknowledged as their {@link Acks} asked. A single-record
 * produce answers {@code lastOffset == offset} and {@code count == 1}. A retried idempotent batch
 * that the partition already holds answers the original offsets with {@code "duplicate": true}
 * (nothing was written again); the field is left out otherwise.
 *
 * <p>Thread-safety: immutable.
 *
 * @param offset the offset the first record was written at (the batch's base offset)
 * @param lastOffset the offset of the last record of the request
 * @param count how many records the request wrote
 * @param duplicate the batch was a retry of one already in the partition at these offsets
 */
public record ProduceResponse(
    long offset,
    long lastOffset,
    int count,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean duplicate) {
  /** The answer to a batch written now. */
  public ProduceResponse(long offset, long lastOffset, int count) {
    this(offset, lastOffset, count, false);
  }

  /** The answer to a single-record produce. */
  public ProduceResponse(long offset) {
    this(offset, offset, 1);
  }
}
