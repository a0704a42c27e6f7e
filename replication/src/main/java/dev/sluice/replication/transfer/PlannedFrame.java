package dev.sluice.replication.transfer;

import java.util.List;

/**
 * A frame the leader will send, described by where its payload lies in the segment files; the bytes
 * are read only when the frame is about to be sent. Immutable.
 */
public sealed interface PlannedFrame {

  /** Bytes of payload this frame will carry; never more than peer-max-bytes. */
  long payloadBytes();

  /**
   * Whole batches {@code baseOffset..lastOffset}, read from {@code ranges} in order (more than one
   * range when the batches continue in the next segment).
   */
  record WholeBatches(List<FileRange> ranges, long baseOffset, long lastOffset, long payloadBytes)
      implements PlannedFrame {
    public WholeBatches {
      ranges = List.copyOf(ranges);
    }
  }

  /**
   * Bytes {@code [bytePosition, bytePosition + payloadBytes)} of the oversized batch {@code batch}.
   */
  record BatchChunk(BatchExtent batch, long bytePosition, long payloadBytes, boolean last)
      implements PlannedFrame {

    /** Where the chunk's bytes start in the segment file. */
    public FileRange range() {
      return new FileRange(batch.file(), batch.position() + bytePosition, payloadBytes);
    }
  }
}
