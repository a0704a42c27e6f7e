package dev.sluice.api;

/**
 * What a successful {@code POST .../records} answers, {@code {"offset": N, "lastOffset": M,
 * "count": C}}, once the records are acknowledged as their {@link Acks} asked. A single-record
 * produce answers {@code lastOffset == offset} and {@code count == 1}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param offset the offset the first record was written at (the batch's base offset)
 * @param lastOffset the offset of the last record of the request
 * @param count how many records the request wrote
 */
public record ProduceResponse(long offset, long lastOffset, int count) {
  /** The answer to a single-record produce. */
  public ProduceResponse(long offset) {
    this(offset, offset, 1);
  }
}
