/**
 * The follower role of a local replica: the catch-up state machine ({@link
 * dev.sluice.replication.follower.FollowerReplica}, states in {@link
 * dev.sluice.replication.follower.FollowerState}) that connects to the leader, backs off after
 * failures and publishes its {@link dev.sluice.replication.follower.FollowerStatus} for the node,
 * management and the stall watchdog.
 */
package dev.sluice.replication.follower;
