package dev.sluice.log.record;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.format.CountingInputStream;
import dev.sluice.format.Header;
import dev.sluice.format.Varints;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link FileRecordReader}'s half for a compressed batch: decodes the records from the codec's
 * stream of the batch's bytes after the header, front to back, without holding a value.
 *
 * <p>v2 puts the headers after the value, and a line of output wants the headers first, so two
 * decompressing streams run over the same bytes: the leading one decodes each record, skips its
 * value (decompressing it, not keeping it) and reads the headers; the trailing one, opened on the
 * first value read, delivers value bytes by their position in the decompressed records ({@link
 * #readValue}). Both only move forward, so a batch costs two decompressions and memory is two codec
 * windows plus one record's key and headers. Keys and headers are held; a record longer than {@code
 * maxRecordBytes} (the limit the batch was checked against) is refused before any of it is read, so
 * a damaged length cannot make an allocation beyond that limit.
 *
 * <p>Errors are {@link CorruptRecordException}s naming the file, the batch position, the record
 * index and the byte position in the decompressed records, and the codec. Not thread-safe; the
 * channel may be shared (positional reads only) and is not closed by {@link #close}.
 */
final class DecompressedRecordReader implements AutoCloseable {
  private final FileChannel channel;
  private final Path file;
  private final long batchPosition;
  private final BatchHeader header;
  private final CompressedRecords records;
  private final long maxRecordBytes;
  private final CountingInputStream lead;
  private CountingInputStream values;
  private int index;

  DecompressedRecordReader(
      FileChannel channel, Path file, long batchPosition, BatchHeader header, long maxRecordBytes)
      throws IOException {
    this.channel = channel;
    this.file = file;
    this.batchPosition = batchPosition;
    this.header = header;
    this.records = CompressedRecords.of(header, batchPosition);
    this.maxRecordBytes = maxRecordBytes;
    this.lead = open();
  }

  CompressedRecords records() {
    return records;
  }

  boolean hasNext() {
    return index < header.recordsCount();
  }

  StoredRecord next() throws IOException {
    long recordStart = lead.count();
    try {
      int length = Varints.readVarint(lead);
      if (length < BatchLayout.MIN_RECORD_BODY_BYTES || length > maxRecordBytes) {
        throw corrupt(
            recordStart,
            "record length "
                + length
                + " is not in ["
                + BatchLayout.MIN_RECORD_BODY_BYTES
                + ", "
                + maxRecordBytes
                + "] (the batch limit)");
      }
      long recordEnd = lead.count() + length;
      lead.readByte(); // attributes: unused in v2
      long timestampDelta = Varints.readVarlong(lead);
      long at = lead.count();
      int offsetDelta = Varints.readVarint(lead);
      if (offsetDelta != index) {
        throw corrupt(at, "offset delta " + offsetDelta + " where " + index + " was expected");
      }
      byte[] key = readBytes("key", recordEnd);
      at = lead.count();
      int valueLength = Varints.readVarint(lead);
      checkLength(valueLength, -1, "value", at, recordEnd);
      long valuePosition = lead.count();
      if (valueLength > 0) {
        lead.skipNBytes(valueLength);
      }
      at = lead.count();
      int headerCount = Varints.readVarint(lead);
      if (headerCount < 0 || headerCount > (recordEnd - lead.count()) / 2) {
        throw corrupt(
            at,
            "header count "
                + headerCount
                + " does not fit the "
                + (recordEnd - lead.count())
                + " bytes left in the record (2 bytes per header at least)");
      }
      List<Header> headers = new ArrayList<>(headerCount);
      for (int i = 0; i < headerCount; i++) {
        at = lead.count();
        int keyLength = Varints.readVarint(lead);
        checkLength(keyLength, 0, "header " + i + "'s key", at, recordEnd);
        String k = new String(lead.readNBytes(keyLength), StandardCharsets.UTF_8);
        headers.add(new Header(k, readBytes("header " + i + "'s value", recordEnd)));
      }
      if (lead.count() != recordEnd) {
        throw corrupt(
            lead.count(),
            "record length says it ends at byte "
                + recordEnd
                + " but its fields end at byte "
                + lead.count());
      }
      StoredRecord r =
          new StoredRecord(
              header.baseOffset() + index,
              key,
              List.copyOf(headers),
              file,
              valuePosition,
              valueLength,
              header.baseTimestamp() + timestampDelta,
              records);
      index++;
      return r;
    } catch (EOFException e) {
      throw corrupt(lead.count(), "the records end inside record " + index, e);
    } catch (CorruptRecordException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // Codecs report corrupt input as IOException or as runtime exceptions of their own.
      throw corrupt(lead.count(), "the " + records.codec().wireName() + " stream breaks: " + e, e);
    }
  }

  /**
   * Fills {@code into} with the decompressed bytes from {@code position} on (a value's position as
   * {@link StoredRecord#valuePosition} gives it, plus the bytes of it already read). Positions must
   * not go backwards between calls; an earlier one reopens the stream.
   */
  void readValue(long position, ByteBuffer into) throws IOException {
    try {
      if (values == null || values.count() > position) {
        closeValues();
        values = open();
      }
      values.skipNBytes(position - values.count());
      while (into.hasRemaining()) {
        int n = values.read(into.array(), into.arrayOffset() + into.position(), into.remaining());
        if (n < 0) {
          throw new EOFException("the records end at byte " + values.count());
        }
        into.position(into.position() + n);
      }
    } catch (IOException | RuntimeException e) {
      long at = values == null ? position : values.count();
      throw corrupt(
          at, "reading a value from the " + records.codec().wireName() + " stream failed: " + e, e);
    }
  }

  private CountingInputStream open() throws IOException {
    return new CountingInputStream(records.decompress(channel, file));
  }

  private byte[] readBytes(String what, long recordEnd) throws IOException {
    long at = lead.count();
    int length = Varints.readVarint(lead);
    checkLength(length, -1, what, at, recordEnd);
    if (length < 0) {
      return null;
    }
    byte[] bytes = lead.readNBytes(length);
    if (bytes.length < length) {
      throw new EOFException(what + " of " + length + " bytes is cut short");
    }
    return bytes;
  }

  private void checkLength(int length, int min, String what, long at, long recordEnd) {
    if (length < min || length > recordEnd - lead.count()) {
      throw corrupt(
          at,
          what
              + " length "
              + length
              + " is not in ["
              + min
              + ", "
              + (recordEnd - lead.count())
              + "] (the bytes left in the record)");
    }
  }

  private CorruptRecordException corrupt(long at, String detail) {
    return CorruptRecordException.inRecord(
        file.toString(), batchPosition, index, at, records.where(), detail);
  }

  private CorruptRecordException corrupt(long at, String detail, Throwable cause) {
    CorruptRecordException e = corrupt(at, detail);
    e.initCause(cause);
    return e;
  }

  private void closeValues() throws IOException {
    if (values != null) {
      values.close();
      values = null;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      lead.close();
    } finally {
      closeValues();
    }
  }
}
