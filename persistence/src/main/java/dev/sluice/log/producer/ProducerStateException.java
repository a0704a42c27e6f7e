package dev.sluice.log.producer;

import java.util.OptionalInt;

/**
 * An idempotent producer's batch broke a sequence rule of its partition: nothing of it was written.
 * The message names the partition, the producer id, the epoch and sequences the batch carried and
 * what the partition expected.
 *
 * <p>Thread-safety: immutable.
 */
public final class ProducerStateException extends RuntimeException {
  private final ProducerError error;
  private final long producerId;
  private final OptionalInt expectedSequence;

  public ProducerStateException(
      ProducerError error, long producerId, OptionalInt expectedSequence, String message) {
    super(message);
    this.error = error;
    this.producerId = producerId;
    this.expectedSequence = expectedSequence;
  }

  /** Which rule the batch broke. */
  public ProducerError error() {
    return error;
  }

  /** The producer id the batch carried. */
  public long producerId() {
    return producerId;
  }

  /** The base sequence the partition expects next from this producer, when it knows one. */
  public OptionalInt expectedSequence() {
    return expectedSequence;
  }
}
