package dev.sluice.config;

import java.time.Duration;

/**
 * Settings of the partition log ({@code sluice.storage}).
 *
 * @param segmentBytes a segment rolls before an append would make it larger than this
 * @param indexIntervalBytes bytes of log between two entries of the sparse offset index
 * @param maxBatchBytes the largest record batch (header included) the leader accepts
 * @param flush when appended bytes are forced to disk
 * @param retentionBytes old segments are deleted while the log is larger than this; -1 keeps all
 * @param retentionTime segments whose newest batch is older than this are deleted; zero keeps all
 * @param retentionCheckInterval how often every replica applies the two retention limits
 * @param highWatermarkCheckpointInterval how often a moved high watermark is forced to disk; it is
 *     written (to the page cache) on every move
 */
public record StorageSettings(
    long segmentBytes,
    int indexIntervalBytes,
    long maxBatchBytes,
    FlushPolicy flush,
    long retentionBytes,
    Duration retentionTime,
    Duration retentionCheckInterval,
    Duration highWatermarkCheckpointInterval) {

  /** The reference default of {@code sluice.storage.retention.check-interval}. */
  public static final Duration DEFAULT_RETENTION_CHECK_INTERVAL = Duration.ofMinutes(1);

  /** The reference default of {@code sluice.storage.high-watermark-checkpoint-interval}. */
  public static final Duration DEFAULT_HIGH_WATERMARK_CHECKPOINT_INTERVAL = Duration.ofSeconds(5);

  /** Settings with the default high-watermark checkpoint interval. */
  public StorageSettings(
      long segmentBytes,
      int indexIntervalBytes,
      long maxBatchBytes,
      FlushPolicy flush,
      long retentionBytes,
      Duration retentionTime,
      Duration retentionCheckInterval) {
    this(
        segmentBytes,
        indexIntervalBytes,
        maxBatchBytes,
        flush,
        retentionBytes,
        retentionTime,
        retentionCheckInterval,
        DEFAULT_HIGH_WATERMARK_CHECKPOINT_INTERVAL);
  }

  /** Settings with the default retention check and high-watermark checkpoint intervals. */
  public StorageSettings(
      long segmentBytes,
      int indexIntervalBytes,
      long maxBatchBytes,
      FlushPolicy flush,
      long retentionBytes,
      Duration retentionTime) {
    this(
        segmentBytes,
        indexIntervalBytes,
        maxBatchBytes,
        flush,
        retentionBytes,
        retentionTime,
        DEFAULT_RETENTION_CHECK_INTERVAL);
  }

  /** True if either retention limit is set: otherwise there is nothing to apply. */
  public boolean retains() {
    return retentionBytes >= 0 || retentionTime.compareTo(Duration.ZERO) > 0;
  }

  /** Settings for tests and tools: the reference defaults with the given sizes. */
  public static StorageSettings of(long segmentBytes, long maxBatchBytes) {
    return new StorageSettings(
        segmentBytes, 4096, maxBatchBytes, FlushPolicy.EVERY_BATCH, -1, Duration.ZERO);
  }
}
