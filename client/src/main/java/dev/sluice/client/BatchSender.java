package dev.sluice.client;

import dev.sluice.api.Acks;
import dev.sluice.api.ProduceResponse;
import java.nio.ByteBuffer;

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
   * Appends {@code batch}, a RecordBatch v2 of {@code recordCount} records, to one partition.
   *
   * @throws SluiceClientException when the server refused the batch or did not answer
   */
  ProduceResponse send(String topic, int partition, ByteBuffer batch, int recordCount, Acks acks);
}
