package dev.sluice.log.producer;

/**
 * Why a leader refused an idempotent producer's batch. The names are Kafka's error names, so a
 * client that knows Kafka's rules reads them the same way; the HTTP API answers each with 409 and
 * the name in the error body's {@code code} field.
 */
public enum ProducerError {
  /**
   * The partition knows no state for the producer id and the batch does not start at sequence 0:
   * the state expired, or the id was never given out. The producer must get a new id.
   */
  UNKNOWN_PRODUCER_ID,
  /**
   * The batch's sequence does not follow the last one the partition holds for the producer (and it
   * is not a retry of one of the last five): a batch in between was lost or reordered.
   */
  OUT_OF_ORDER_SEQUENCE,
  /** The batch's producer epoch is older than the one the partition holds for the producer id. */
  PRODUCER_FENCED
}
