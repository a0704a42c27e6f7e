package dev.sluice.format;

/**
 * The largest batch (header included) a parser accepts, with the name of the setting it comes from
 * so that errors can name it. The leader checks {@code max-batch-bytes}; followers only apply the
 * hard sanity limit {@code segment-bytes}, because the leader already accepted the batch.
 */
public record BatchLimit(String name, long bytes) {
  public static BatchLimit maxBatchBytes(long bytes) {
    return new BatchLimit("max-batch-bytes", bytes);
  }

  public static BatchLimit segmentBytes(long bytes) {
    return new BatchLimit("segment-bytes", bytes);
  }
}
