package dev.sluice.log.epoch;

/**
 * The answer to "where does my epoch end?" (KIP-279): {@code epoch} is the largest epoch in the
 * history not above the one asked for, or {@link #UNDEFINED_EPOCH} when the history has none;
 * {@code endOffset} is the first offset that does not belong to it, that is where the next epoch
 * starts or the log end offset. A replica whose log holds batches of that epoch (or earlier ones)
 * at or past {@code endOffset} diverged there.
 */
public record EpochEndOffset(int epoch, long endOffset) {
  /** No epoch in the history is at or below the one asked for (or the history is empty). */
  public static final int UNDEFINED_EPOCH = -1;
}
