/**
 * Idempotent producers' state of a partition log: for each producer id, the epoch and the last
 * batches' sequences and offsets, derived from the v2 batch headers in the log (so it replicates
 * with the batches and survives a leader failover), used by the leader to drop a retried batch and
 * answer its original offsets; snapshots of it in {@code producer-state/} spare a reopened log most
 * of the replay.
 */
package dev.sluice.log.producer;
