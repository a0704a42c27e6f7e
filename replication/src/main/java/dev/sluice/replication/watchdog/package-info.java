/**
 * The stall watchdog: one actor per node samples every local follower's status, decides with pure
 * rules ({@link dev.sluice.replication.watchdog.StallDetector}) whether a replica is stuck,
 * restarts or escalates it, and publishes its verdicts ({@link
 * dev.sluice.replication.watchdog.WatchdogState}) for JMX, metrics and the status pages.
 */
package dev.sluice.replication.watchdog;
