package dev.sluice.client;

/**
 * Where a record sent through {@link SluiceProducer} was written, once the server acknowledged its
 * batch.
 *
 * <p>Thread-safety: immutable.
 *
 * @param topic the topic
 * @param partition the partition the record went to (chosen by key, sticky for a null key, or
 *     given)
 * @param offset the record's offset: the batch's base offset plus the record's index in the batch
 */
public record RecordMetadata(String topic, int partition, long offset) {}
