package dev.sluice.log.record;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.Compression;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.format.Header;
import dev.sluice.format.Varints;
import java.io.EOFException;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Iterates the records of one v2 batch stored in a file without loading values. For an uncompressed
 * batch each step reads the record's length, attributes, deltas and key with positional reads,
 * notes where the value is and skips it, then reads the headers that v2 puts after the value. Every
 * length is checked against the record's own length and the end of the batch, so a damaged batch
 * ends in a {@link CorruptRecordException} naming the file, the byte position and the record index,
 * never in a huge allocation. Fields are decoded from a small window read ahead ({@link
 * #WINDOW_BYTES}), so a batch of small records costs a few reads, not one per field.
 *
 * <p>A compressed batch's records are decoded from the codec's stream ({@link
 * DecompressedRecordReader}): its records' values are located in the decompressed records ({@link
 * StoredRecord#compressed}), and {@link #readValue} reads them from there, in bounded memory.
 *
 * <p>Not thread-safe (the channel may be shared: only positional reads are used). Close the reader
 * when done: a compressed batch's codec holds memory (zstd: native memory) until then.
 */
public final class FileRecordReader implements AutoCloseable {
  static final int WINDOW_BYTES = 4096;

  private final FileChannel channel;
  private final Path file;
  private final BatchHeader header;
  private final long batchPosition;
  private final long batchEnd;
  private final DecompressedRecordReader decompressed;
  private final ByteBuffer window = ByteBuffer.allocate(WINDOW_BYTES);
  private long windowStart;
  private int windowFill;
  private long position;
  private long recordStart;
  private long recordEnd;
  private int index;

  /**
   * A reader of the batch of {@code header} stored at {@code batchPosition}; a compressed batch's
   * records may take at most {@code limit.bytes()} decompressed (the limit it was stored under).
   */
  public FileRecordReader(
      FileChannel channel, Path file, long batchPosition, BatchHeader header, BatchLimit limit)
      throws IOException {
    this.channel = channel;
    this.file = file;
    this.header = header;
    this.batchPosition = batchPosition;
    this.batchEnd = batchPosition + header.totalSize();
    this.position = batchPosition + BatchLayout.HEADER_BYTES;
    this.decompressed =
        header.compression() == Compression.NONE
            ? null
            : new DecompressedRecordReader(channel, file, batchPosition, header, limit.bytes());
  }

  /** A reader whose compressed records are bounded only by the int lengths of v2. */
  public FileRecordReader(FileChannel channel, Path file, long batchPosition, BatchHeader header)
      throws IOException {
    this(channel, file, batchPosition, header, new BatchLimit("the int range", Integer.MAX_VALUE));
  }

  /**
   * Fills {@code into} (a heap buffer) with the value bytes of a record this reader returned, from
   * {@code position} on: its {@link StoredRecord#valuePosition} plus the bytes of it already read.
   * In a compressed batch, positions should only move forward (reading backwards decompresses again
   * from the start).
   */
  public void readValue(long position, ByteBuffer into) throws IOException {
    if (decompressed != null) {
      decompressed.readValue(position, into);
      return;
    }
    long at = position;
    while (into.hasRemaining()) {
      int n = channel.read(into, at);
      if (n < 0) {
        throw new EOFException(file + " ended at position " + at + " inside a value");
      }
      at += n;
    }
  }

  @Override
  public void close() throws IOException {
    if (decompressed != null) {
      decompressed.close();
    }
  }

  public boolean hasNext() {
    if (decompressed != null) {
      return decompressed.hasNext();
    }
    return index < header.recordsCount();
  }

  /** Decodes the next record's key, timestamp and headers and locates its value. */
  public StoredRecord next() throws IOException {
    if (!hasNext()) {
      throw new NoSuchElementException("batch at " + batchPosition + " has no more records");
    }
    if (decompressed != null) {
      return decompressed.next();
    }
    recordStart = position;
    recordEnd = batchEnd;
    int length = readVarint("record length");
    if (length < BatchLayout.MIN_RECORD_BODY_BYTES || length > batchEnd - position) {
      throw corrupt(
          recordStart,
          "record length "
              + length
              + " is not in ["
              + BatchLayout.MIN_RECORD_BODY_BYTES
              + ", "
              + (batchEnd - position)
              + "] (the bytes left in the batch)");
    }
    recordEnd = position + length;
    readByte("attributes");
    long timestampDelta = readVarlong("timestamp delta");
    int offsetDelta = readVarint("offset delta");
    if (offsetDelta != index) {
      throw corrupt(position, "offset delta " + offsetDelta + " where " + index + " was expected");
    }
    byte[] key = readBytes("key");
    long valueLengthAt = position;
    int valueLength = readVarint("value length");
    checkLength(valueLength, "value", valueLengthAt);
    long valuePosition = position;
    position += Math.max(0, valueLength);
    long countAt = position;
    int headerCount = readVarint("header count");
    if (headerCount < 0 || headerCount > recordEnd - position) {
      throw corrupt(countAt, "header count " + headerCount + " does not fit the record");
    }
    List<Header> headers = new ArrayList<>(headerCount);
    for (int i = 0; i < headerCount; i++) {
      long at = position;
      int keyLength = readVarint("header key length");
      if (keyLength < 0) {
        throw corrupt(at, "header " + i + "'s key length " + keyLength + " is negative");
      }
      byte[] k = readBytes(keyLength, "header key", at);
      byte[] v = readBytes("header value");
      headers.add(new Header(new String(k, StandardCharsets.UTF_8), v));
    }
    if (position != recordEnd) {
      throw corrupt(
          position,
          "record length says it ends at " + recordEnd + " but its fields end at " + position);
    }
    StoredRecord r =
        new StoredRecord(
            header.baseOffset() + index,
            key,
            List.copyOf(headers),
            file,
            valuePosition,
            valueLength,
            header.baseTimestamp() + timestampDelta);
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

  private byte readByte(String field) throws IOException {
    fill(1, field);
    position++;
    return window.get();
  }

  private int readVarint(String field) throws IOException {
    long at = position;
    fill(Varints.MAX_VARINT_BYTES, field);
    try {
      int v = Varints.readVarint(window);
      position = windowStart + window.position();
      return v;
    } catch (IllegalArgumentException | BufferUnderflowException e) {
      throw corrupt(at, field + ": " + describe(e));
    }
  }

  private long readVarlong(String field) throws IOException {
    long at = position;
    fill(Varints.MAX_VARLONG_BYTES, field);
    try {
      long v = Varints.readVarlong(window);
      position = windowStart + window.position();
      return v;
    } catch (IllegalArgumentException | BufferUnderflowException e) {
      throw corrupt(at, field + ": " + describe(e));
    }
  }

  private static String describe(RuntimeException e) {
    return e instanceof IllegalArgumentException
        ? e.getMessage()
        : "the encoding runs past the record's end";
  }

  /** Reads a length varint and the bytes it announces; null for length -1. */
  private byte[] readBytes(String what) throws IOException {
    long at = position;
    return readBytes(readVarint(what + " length"), what, at);
  }

  /** Reads {@code length} bytes whose length field started at {@code at}. */
  private byte[] readBytes(int length, String what, long at) throws IOException {
    if (length == -1) {
      return null;
    }
    checkLength(length, what, at);
    byte[] bytes = new byte[length];
    if (length <= WINDOW_BYTES) {
      fill(length, what);
      window.get(bytes);
      position += length;
      return bytes;
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      int n = channel.read(buf, position + buf.position());
      if (n < 0) {
        throw new EOFException(
            file + " ended at " + (position + buf.position()) + " inside a batch");
      }
    }
    position += length;
    return bytes;
  }

  private void checkLength(int length, String what, long at) {
    if (length < -1 || length > recordEnd - position) {
      throw corrupt(
          at,
          what
              + " length "
              + length
              + " exceeds the "
              + (recordEnd - position)
              + " bytes left in the record");
    }
  }

  /**
   * Makes the window hold the bytes from {@link #position} on: at least {@code wanted} of them, or
   * every byte up to the record's end if fewer are left (a varint decoder then stops at that end).
   */
  private void fill(int wanted, String field) throws IOException {
    long limit = recordEnd;
    long need = Math.min(wanted, limit - position);
    if (need <= 0 && wanted > 0) {
      throw corrupt(position, field + " lies past the record's end " + limit);
    }
    if (position < windowStart || position + need > windowStart + windowFill) {
      windowStart = position;
      window.clear().limit((int) Math.min(WINDOW_BYTES, batchEnd - position));
      while (window.hasRemaining()) {
        int n = channel.read(window, windowStart + window.position());
        if (n < 0) {
          throw new EOFException(
              file + " ended at " + (windowStart + window.position()) + " inside a batch");
        }
      }
      windowFill = window.position();
    }
    // Decoding stops at the record's end, though the window may hold the next records too.
    window.limit((int) Math.min(windowFill, limit - windowStart));
    window.position((int) (position - windowStart));
  }

  private CorruptRecordException corrupt(long at, String detail) {
    return CorruptRecordException.inRecord(
        file.toString(), batchPosition, index, at - batchPosition, "the batch", detail);
  }
}
