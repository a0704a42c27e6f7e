package dev.sluice.replication.transfer;

import dev.sluice.log.FileRegion;
import dev.sluice.log.LogSlice;
import java.util.List;

/**
 * A frame the leader will send, described by where its payload lies in the segment files; the bytes
 * are read only when the frame is about to be sent. Immutable.
 */
public sealed interface PlannedFrame {

  /** Bytes of payload this frame will carry; never more than peer-max-bytes. */
  long payloadBytes();

  /**
   * Whole batches {@code baseOffset..lastOffset}, read from {@code regions} in order (more than one
   * region when the batches continue in the next segment).
   */
  record WholeBatches(List<FileRegion> regions, long baseOffset, long lastOffset, long payloadBytes)
      implements PlannedFrame {
    public WholeBatches {
      regions = List.copyOf(regions);
    }
  }

  /**
   * Bytes {@code [bytePosition, bytePosition + payloadBytes)} of the oversized batch {@code batch}
   * (a slice of exactly one batch).
   */
  record BatchChunk(LogSlice batch, long bytePosition, long payloadBytes, boolean last)
      implements PlannedFrame {

    /** The chunk's bytes in the segment file. */
    public FileRegion region() {
      return new FileRegion(batch.segmentFile(), batch.position() + bytePosition, payloadBytes);
    }
  }
}
