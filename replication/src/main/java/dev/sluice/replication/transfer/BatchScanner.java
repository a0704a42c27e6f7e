package dev.sluice.replication.transfer;

import dev.sluice.log.LogSlice;
import dev.sluice.log.record.RecordBatch;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits the slices of a log read into single batches by reading each batch's prefix (base offset,
 * length, last offset delta) from the segment file, so the planner knows where it may cut. Reads
 * only {@link #PREFIX_BYTES} per batch, never the records. Blocking file IO: call it on the
 * blocking-IO dispatcher. Stateless; thread-safe.
 */
public final class BatchScanner {
  /** Bytes up to and including the last offset delta. */
  static final int PREFIX_BYTES =
      RecordBatch.LAST_OFFSET_DELTA_OFFSET + RecordBatch.LAST_OFFSET_DELTA_LENGTH;

  private BatchScanner() {}

  /** The batches of {@code slices}, in order. */
  public static List<BatchExtent> scan(List<LogSlice> slices) throws IOException {
    List<BatchExtent> out = new ArrayList<>();
    ByteBuffer prefix = ByteBuffer.allocate(PREFIX_BYTES);
    for (LogSlice slice : slices) {
      try (FileChannel ch = FileChannel.open(slice.segmentFile(), StandardOpenOption.READ)) {
        long pos = slice.position();
        long end = slice.position() + slice.length();
        while (pos < end) {
          prefix.clear();
          while (prefix.hasRemaining()) {
            if (ch.read(prefix, pos + prefix.position()) < 0) {
              throw new EOFException(slice.segmentFile() + ": end of file inside batch at " + pos);
            }
          }
          long base = prefix.getLong(RecordBatch.BASE_OFFSET_OFFSET);
          long size =
              RecordBatch.LOG_OVERHEAD + (long) prefix.getInt(RecordBatch.BATCH_LENGTH_OFFSET);
          long last = base + prefix.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET);
          if (size < RecordBatch.HEADER_BYTES || pos + size > end) {
            throw new IOException(
                slice.segmentFile()
                    + " position "
                    + pos
                    + ": batch size "
                    + size
                    + " does not fit the slice ending at "
                    + end);
          }
          out.add(new BatchExtent(slice.segmentFile(), pos, size, base, last));
          pos += size;
        }
      }
    }
    return out;
  }
}
