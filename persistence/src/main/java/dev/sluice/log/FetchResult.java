package dev.sluice.log;

import java.util.List;

/**
 * The answer to a read: contiguous whole batches from the one holding {@code requestedOffset}, in
 * log order (one slice per segment from {@link PartitionLog#read}, one per batch from {@link
 * PartitionLog#readBatches}), with the log end offset and high watermark seen at the time. Empty
 * slices mean the requested offset is the log end offset.
 */
public record FetchResult(
    long requestedOffset, List<LogSlice> slices, long logEndOffset, long highWatermark) {
  public FetchResult {
    slices = List.copyOf(slices);
  }

  public long sizeInBytes() {
    long total = 0;
    for (LogSlice s : slices) {
      total += s.length();
    }
    return total;
  }

  /** The offset to fetch next, after the returned batches. */
  public long nextOffset() {
    return slices.isEmpty() ? requestedOffset : slices.get(slices.size() - 1).lastOffset() + 1;
  }
}
