/**
 * The streams that carry a partition's log from its leader to a follower, one TCP connection per
 * partition replica: the leader's server and frame source, the follower's connection attempt and
 * session (appending whole batches, staging the chunks of an oversized batch), and the leader-epoch
 * rule that decides where a diverged follower cuts its log. Record bytes move here and nowhere
 * else; the actors above see offsets and counts.
 */
package dev.sluice.replication.transfer;
