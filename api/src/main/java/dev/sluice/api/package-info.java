/**
 * The client HTTP API as a model that the server ({@code cluster-node}) and the Java client share:
 * resource paths and query names ({@link dev.sluice.api.Paths}), header names ({@link
 * dev.sluice.api.Headers}), media types, the acknowledgement modes ({@link dev.sluice.api.Acks}),
 * the JSON request and response bodies (topic requests and descriptions, the produce answer, the
 * error and redirect bodies), the replica roles and states as they appear on the wire, the topic
 * name rule, and the one JSON configuration ({@link dev.sluice.api.ApiJson}).
 *
 * <p>It also owns authentication as client, CLI and node share it: the bearer token, its header and
 * hash ({@link dev.sluice.api.Auth}), permissions ({@link dev.sluice.api.Permission}) and the
 * hashed tokens file a node reads and the CLI writes ({@link dev.sluice.api.TokenFile}).
 *
 * <p>It owns the wire form: a field, header or label changes here or nowhere, and the golden tests
 * of this module pin it. Record values travel as raw bytes and batches in the on-disk batch format
 * of the {@code persistence} module; their layout is not modelled here.
 *
 * <p>Depends on Jackson only: no Pekko, no other Sluice module (the build enforces it), so that a
 * client needs nothing of the server.
 */
package dev.sluice.api;
