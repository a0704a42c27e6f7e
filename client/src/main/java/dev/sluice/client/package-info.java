/**
 * The Java client of a Sluice cluster's HTTP API ({@link dev.sluice.client.SluiceClient}): create,
 * list and describe topics, produce a record, fetch a record by offset; and {@link
 * dev.sluice.client.SluiceProducer}, which batches records per partition, partitions them by key as
 * Kafka does and retries what a retry can cure, idempotently by default (a retry of a batch the
 * leader holds is answered as a duplicate, never written twice, within a producer session). It
 * follows the redirects a node answers when another node leads the partition, and turns every
 * refusal into a {@link dev.sluice.client.SluiceClientException} carrying the server's error body.
 *
 * <p>It speaks the wire model of the {@code api} module, uses the {@code format} module's
 * partitioner and batch sizes, and depends on nothing else of Sluice and on no Pekko (the build
 * enforces it), so an application embeds it without the server. The CLI of the {@code tools} module
 * and the multi-JVM tests use it.
 */
package dev.sluice.client;
