package dev.sluice.log.record;

import dev.sluice.format.Header;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A record as stored in a segment: key and headers decoded (they are small), the value only
 * located, so that an HTTP layer can stream it from {@code file} in bounded memory instead of
 * holding a value of any size on the heap.
 *
 * @param valueLength the value size in bytes, or -1 for a null value
 * @param timestamp the record's CreateTime, epoch millis (the batch's base timestamp plus the
 *     record's delta)
 */
public record StoredRecord(
    long offset,
    byte[] key,
    List<Header> headers,
    Path file,
    long valuePosition,
    int valueLength,
    long timestamp) {

  /**
   * Reads the value into memory; for small values only. Returns null for a null value. Fails with
   * an IOException if the segment was deleted or truncated since the record was located.
   */
  public byte[] readValue() throws IOException {
    if (valueLength < 0) {
      return null;
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(valueLength);
      long pos = valuePosition;
      while (buf.hasRemaining()) {
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new EOFException(
              file + " ended at " + pos + " inside the value of offset " + offset);
        }
        pos += n;
      }
      return buf.array();
    }
  }
}
