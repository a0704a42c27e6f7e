package dev.sluice.log.record;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Iterates the records of one batch stored in a file without loading values: each step reads the
 * record prefix (key, headers, value length) with positional reads and skips over the value. Every
 * length is checked against the end of the batch, so a damaged batch ends in a {@link
 * CorruptRecordException}, never in a huge allocation. Not thread-safe (the channel may be shared:
 * only positional reads are used).
 */
public final class FileRecordReader {
  private final FileChannel channel;
  private final Path file;
  private final BatchHeader header;
  private final long batchPosition;
  private final long batchEnd;
  private long position;
  private int index;

  public FileRecordReader(FileChannel channel, Path file, long batchPosition, BatchHeader header) {
    this.channel = channel;
    this.file = file;
    this.header = header;
    this.batchPosition = batchPosition;
    this.batchEnd = batchPosition + header.totalSize();
    this.position = batchPosition + RecordBatch.HEADER_BYTES;
  }

  public boolean hasNext() {
    return index < header.recordCount();
  }

  /** Decodes the next record's key and headers and locates its value. */
  public StoredRecord next() throws IOException {
    if (!hasNext()) {
      throw new NoSuchElementException("batch at " + batchPosition + " has no more records");
    }
    byte[] key = readBytes(readInt());
    int headerCount = readInt();
    if (headerCount < 0 || (long) headerCount * 6 > batchEnd - position) {
      throw corrupt("header count " + headerCount + " does not fit the batch");
    }
    List<Header> headers = new ArrayList<>(headerCount);
    for (int i = 0; i < headerCount; i++) {
      short keyLength = readShort();
      byte[] k = readBytes(keyLength);
      if (k == null) {
        throw corrupt("negative header key length " + keyLength);
      }
      headers.add(new Header(new String(k, StandardCharsets.UTF_8), readBytes(readInt())));
    }
    int valueLength = readInt();
    checkFits(valueLength);
    StoredRecord r =
        new StoredRecord(
            header.baseOffset() + index, key, List.copyOf(headers), file, position, valueLength);
    position += Math.max(0, valueLength);
    index++;
    return r;
  }

  /** Skips to the record at {@code offset} (within this batch) and returns it. */
  public StoredRecord seek(long offset) throws IOException {
    if (offset < header.baseOffset() || offset > header.lastOffset()) {
      throw new IllegalArgumentException(
          "offset "
              + offset
              + " is not in batch ["
              + header.baseOffset()
              + ", "
              + header.lastOffset()
              + "]");
    }
    StoredRecord r = next();
    while (r.offset() < offset) {
      r = next();
    }
    return r;
  }

  private int readInt() throws IOException {
    return read(4).getInt(0);
  }

  private short readShort() throws IOException {
    return read(2).getShort(0);
  }

  private byte[] readBytes(int length) throws IOException {
    if (length == -1) {
      return null;
    }
    checkFits(length);
    return read(length).array();
  }

  private void checkFits(int length) {
    if (length < -1 || length > batchEnd - position) {
      throw corrupt(
          "length "
              + length
              + " exceeds the "
              + (batchEnd - position)
              + " bytes left in the batch");
    }
  }

  private ByteBuffer read(int n) throws IOException {
    if (n > batchEnd - position) {
      throw corrupt(
          "record of offset "
              + (header.baseOffset() + index)
              + " runs past the batch end "
              + batchEnd);
    }
    ByteBuffer buf = ByteBuffer.allocate(n);
    while (buf.hasRemaining()) {
      int r = channel.read(buf, position + buf.position());
      if (r < 0) {
        throw new EOFException(
            file + " ended at " + (position + buf.position()) + " inside a batch");
      }
    }
    position += n;
    return buf;
  }

  private CorruptRecordException corrupt(String detail) {
    return CorruptRecordException.at(file.toString(), position, detail);
  }
}
