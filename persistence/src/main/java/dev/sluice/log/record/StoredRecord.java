package dev.sluice.log.record;

import dev.sluice.format.Header;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A record as stored in a segment: key and headers decoded (they are small), the value only
 * located, so that an HTTP layer can stream it from {@code file} in bounded memory instead of
 * holding a value of any size on the heap.
 *
 * <p>In an uncompressed batch, {@code valuePosition} is the value's position in {@code file}. In a
 * compressed batch ({@code compressed} not null) the value has no file position: {@code
 * valuePosition} is its position in the batch's decompressed records, which {@link #openValue}
 * reaches by decompressing from their start.
 *
 * @param valueLength the value size in bytes, or -1 for a null value
 * @param timestamp the record's CreateTime, epoch millis (the batch's base timestamp plus the
 *     record's delta)
 * @param compressed the compressed records holding the value, or null when the batch is not
 *     compressed
 */
public record StoredRecord(
    long offset,
    byte[] key,
    List<Header> headers,
    Path file,
    long valuePosition,
    int valueLength,
    long timestamp,
    CompressedRecords compressed) {

  /** A record of an uncompressed batch, its value at {@code valuePosition} in {@code file}. */
  public StoredRecord(
      long offset,
      byte[] key,
      List<Header> headers,
      Path file,
      long valuePosition,
      int valueLength,
      long timestamp) {
    this(offset, key, headers, file, valuePosition, valueLength, timestamp, null);
  }

  /**
   * The value's bytes as a stream (empty for a null value), read from the file or decompressed, in
   * bounded memory whatever its size. The caller closes it.
   */
  public InputStream openValue() throws IOException {
    long length = Math.max(0, valueLength);
    if (compressed != null) {
      return compressed.openValue(file, valuePosition, length);
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    ch.position(valuePosition);
    return new ValueStream(
        Channels.newInputStream(ch),
        length,
        left ->
            file + " ended inside the value of offset " + offset + ", " + left + " bytes short");
  }

  /**
   * Reads the value into memory; for small values only. Returns null for a null value. Fails with
   * an IOException if the segment was deleted or truncated since the record was located.
   */
  public byte[] readValue() throws IOException {
    if (valueLength < 0) {
      return null;
    }
    if (compressed != null) {
      try (InputStream in = openValue()) {
        return in.readAllBytes();
      }
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
