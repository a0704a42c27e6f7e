package dev.sluice.log;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Consecutive whole batches of a log held in memory ({@link PartitionLog#recentBatches}): offsets
 * {@code baseOffset..lastOffset}, one buffer per batch, in order, {@code bytes} in all. The buffers
 * are views of what the log wrote and shares with other readers: read them, never write to them.
 */
public record BatchRun(long baseOffset, long lastOffset, List<ByteBuffer> batches, long bytes) {
  public BatchRun {
    batches = List.copyOf(batches);
  }
}
