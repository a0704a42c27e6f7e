package dev.sluice.log.epoch;

/**
 * One step of a partition's leader-epoch history: {@code epoch} wrote its first batch in this log
 * at {@code startOffset} (or the log now starts at {@code startOffset}, after retention removed the
 * epoch's earlier batches).
 */
public record EpochEntry(int epoch, long startOffset) {
  public EpochEntry {
    if (epoch < 0) {
      throw new IllegalArgumentException("leader epoch " + epoch + " is negative");
    }
    if (startOffset < 0) {
      throw new IllegalArgumentException(
          "start offset " + startOffset + " of leader epoch " + epoch + " is negative");
    }
  }
}
