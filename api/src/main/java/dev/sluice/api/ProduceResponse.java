package dev.sluice.api;

/**
 * What a successful {@code POST .../records} answers, {@code {"offset": N}}, once the record is
 * acknowledged as its {@link Acks} asked.
 *
 * <p>Thread-safety: immutable.
 *
 * @param offset the offset the record was written at
 */
public record ProduceResponse(long offset) {}
