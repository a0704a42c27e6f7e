/**
 * The client HTTP API of a node: routes ({@link dev.sluice.node.http.ClientApi}), producing ({@link
 * dev.sluice.node.http.ProduceHandler}: the body is staged to a file, then appended as one batch
 * through the partition's leader actor) and consuming ({@link dev.sluice.node.http.ConsumeHandler}:
 * committed records and whole batches streamed from the segment files). A node without the right
 * replica answers 307 to one that has it ({@link dev.sluice.node.http.Redirects}).
 *
 * <p>The wire model (paths, headers, media types, acks, JSON bodies, replica roles and states) is
 * the {@code api} module's, shared with the Java client; nothing here declares a header name or a
 * body shape of its own. {@link dev.sluice.node.http.HttpJson} renders bodies with the API's
 * mapper, and {@link dev.sluice.node.http.HttpErrors} is the one place a failure becomes an HTTP
 * status and error body.
 */
package dev.sluice.node.http;
