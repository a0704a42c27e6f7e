/**
 * The Java client of a Sluice cluster's HTTP API ({@link dev.sluice.client.SluiceClient}): create,
 * list and describe topics, produce a record, fetch a record by offset. It follows the redirects a
 * node answers when another node leads the partition, and turns every refusal into a {@link
 * dev.sluice.client.SluiceClientException} carrying the server's error body.
 *
 * <p>It speaks the wire model of the {@code api} module and depends on nothing else of Sluice and
 * on no Pekko (the build enforces it), so an application embeds it without the server. The CLI of
 * the {@code tools} module and the multi-JVM tests use it.
 */
package dev.sluice.client;
