/**
 * Replication of partition logs between nodes: the leader side of a partition ({@code leader}), the
 * follower's catch-up state machine ({@code follower}), the transfer streams that carry the log
 * over TCP ({@code transfer}), their frames ({@code protocol}) and the stall watchdog ({@code
 * watchdog}). Depends on the partition log ({@code persistence}) and Pekko actors and streams;
 * nothing here knows about the cluster, the controller or HTTP: the node wires those in.
 *
 * <p>This package holds what every part shares: the one blocking-IO dispatcher ({@link
 * dev.sluice.replication.BlockingIo}) and how failures are described ({@link
 * dev.sluice.replication.Failures}).
 */
package dev.sluice.replication;
