package dev.sluice.node.controller;

/**
 * What the controller may do when no replica of a partition is eligible to lead (none of the
 * in-sync replicas is live with the storage id recorded for it). Set by {@code
 * sluice.replication.unclean-leader-election}.
 */
public enum ElectionPolicy {
  /**
   * Only an eligible replica leads; without one the partition stays offline until one returns. No
   * acknowledged record is lost while one in-sync replica's disk survives.
   */
  CLEAN_ONLY,
  /**
   * Without an eligible replica, the first live replica (preferred order) leads with whatever its
   * log holds: the partition is available again, and every record that replica lacks is lost, the
   * acknowledged ones included.
   */
  UNCLEAN_ALLOWED;

  public static ElectionPolicy of(boolean uncleanLeaderElection) {
    return uncleanLeaderElection ? UNCLEAN_ALLOWED : CLEAN_ONLY;
  }
}
