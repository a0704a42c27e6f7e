/**
 * The leader-epoch history of a partition log ({@link dev.sluice.log.epoch.LeaderEpochCache}, as in
 * Kafka's KIP-101 and KIP-279): which epoch wrote which offsets, kept exact across appends,
 * truncation, retention and crashes, so that replicas find where their logs diverge.
 */
package dev.sluice.log.epoch;
