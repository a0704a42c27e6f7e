package dev.sluice.client;

import dev.sluice.api.Acks;
import dev.sluice.api.ProduceRecord;
import dev.sluice.api.ProduceResponse;
import java.util.List;

/**
 * How {@link SluiceProducer} sends one batch: one request, all or nothing, answered with the base
 * offset, last offset and count. {@link SluiceClient#appendBatch} is the production implementation;
 * tests script answers and failures.
 *
 * <p>Thread-safety: implementations are called from several sender threads at once.
 */
@FunctionalInterface
interface BatchSender {
  /**
   * Appends {@code records} to one partition as one batch.
   *
   * @throws SluiceClientException when the server refused the batch or did not answer
   */
  ProduceResponse send(String topic, int partition, List<ProduceRecord> records, Acks acks);
}
