package dev.sluice.replication.transfer;

import dev.sluice.log.FileRegion;
import dev.sluice.log.LogSlice;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a run of whole batches into frames of at most {@code peerMaxBytes} of payload: consecutive
 * batches that fit together go into one {@link PlannedFrame.WholeBatches}; a batch larger than the
 * limit becomes {@link PlannedFrame.BatchChunk}s, starting at the follower's staged position when
 * the transfer resumes that batch.
 *
 * <p>Invariants: no planned payload exceeds {@code peerMaxBytes}; a frame boundary never falls
 * inside a batch except between chunks of an oversized one; the payloads, concatenated, are the
 * batches' bytes in order (minus the resumed prefix). This is the rule whose absence caused the
 * incident in {@code docs/incident.md}. Pure and immutable; thread-safe.
 */
public final class FramePlanner {
  private final long peerMaxBytes;

  public FramePlanner(long peerMaxBytes) {
    if (peerMaxBytes < 1) {
      throw new IllegalArgumentException("peer-max-bytes " + peerMaxBytes + " is below 1");
    }
    this.peerMaxBytes = peerMaxBytes;
  }

  /** The most payload bytes a planned frame holds. */
  public long maxPayloadBytes() {
    return peerMaxBytes;
  }

  /**
   * Plans {@code batches}, one slice per batch ({@code PartitionLog.readBatches}), consecutive in
   * offset order.
   *
   * @param resumeBaseOffset base offset of an oversized batch the follower holds partly staged, or
   *     -1; ignored unless that batch is in {@code batches} and larger than the limit
   * @param resumeBytePosition how many bytes of it the follower holds: its first chunk starts here
   */
  public List<PlannedFrame> plan(
      List<LogSlice> batches, long resumeBaseOffset, long resumeBytePosition) {
    List<PlannedFrame> frames = new ArrayList<>();
    Pending pending = new Pending();
    for (LogSlice batch : batches) {
      if (batch.length() > peerMaxBytes) {
        pending.flushTo(frames);
        long start =
            batch.baseOffset() == resumeBaseOffset
                ? Math.max(0, Math.min(resumeBytePosition, batch.length() - 1))
                : 0;
        chunk(batch, start, frames);
      } else {
        if (pending.bytes + batch.length() > peerMaxBytes) {
          pending.flushTo(frames);
        }
        pending.add(batch);
      }
    }
    pending.flushTo(frames);
    return frames;
  }

  private void chunk(LogSlice batch, long start, List<PlannedFrame> frames) {
    // start < size: a follower never stays "resuming" a batch it holds whole (it appends it), and
    // resending at least the last byte keeps the "last" chunk, which triggers the CRC check.
    for (long pos = start; pos < batch.length(); pos += peerMaxBytes) {
      long length = Math.min(peerMaxBytes, batch.length() - pos);
      frames.add(new PlannedFrame.BatchChunk(batch, pos, length, pos + length == batch.length()));
    }
  }

  /** Batches collected for the next WholeBatches frame. */
  private static final class Pending {
    final List<FileRegion> regions = new ArrayList<>();
    long bytes;
    long baseOffset = -1;
    long lastOffset = -1;

    void add(LogSlice batch) {
      if (baseOffset < 0) {
        baseOffset = batch.baseOffset();
      }
      lastOffset = batch.lastOffset();
      bytes += batch.length();
      FileRegion.appendTo(regions, batch.region());
    }

    void flushTo(List<PlannedFrame> frames) {
      if (!regions.isEmpty()) {
        frames.add(new PlannedFrame.WholeBatches(regions, baseOffset, lastOffset, bytes));
      }
      regions.clear();
      bytes = 0;
      baseOffset = -1;
      lastOffset = -1;
    }
  }
}
