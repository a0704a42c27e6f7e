package dev.sluice.api;

/**
 * What {@code POST /producers} answers: a producer id no other producer of the cluster was or will
 * be given, and its epoch (always 0: epochs are bumped only by transactions, which Sluice does not
 * have). An idempotent producer stamps both, with a per-partition sequence, into every v2 batch it
 * sends, and the partition leader drops a batch it already holds.
 *
 * <p>Thread-safety: immutable.
 *
 * @param producerId the id, ≥ 0
 * @param producerEpoch the epoch, 0
 */
public record ProducerIdResponse(long producerId, short producerEpoch) {}
