package dev.sluice.log.segment;

/**
 * What recovery of a segment found.
 *
 * @param truncatedBytes bytes cut from the tail (0 if the segment was intact)
 * @param reason why the tail was cut, or null
 * @param indexRebuilt whether the offset index was rebuilt from the log
 */
public record RecoveryResult(long truncatedBytes, String reason, boolean indexRebuilt) {
  public boolean truncated() {
    return truncatedBytes > 0;
  }
}
