/**
 * Small files of a partition directory that are replaced whole and atomically (temp, force, rename,
 * force the directory): the high watermark and log start offset ({@link
 * dev.sluice.log.checkpoint.OffsetCheckpoint}) and the leader-epoch history ({@link
 * dev.sluice.log.checkpoint.LeaderEpochCheckpoint}). A damaged file is reported and treated as
 * missing, never trusted.
 */
package dev.sluice.log.checkpoint;
