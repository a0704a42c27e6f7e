package dev.sluice.format;

import static dev.sluice.format.BatchLayout.*;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Iterates the records of one batch, decompressing them when the batch is compressed. Input is a
 * whole batch in a {@link ByteBuffer}, or a header already parsed and a stream of the bytes after
 * it (a file region, a response body), which keeps memory to the codec's window plus one record.
 *
 * <p>Every length is checked against the record's own length; the records must end exactly with the
 * batch (or the decompressed stream). A violation is a {@link CorruptRecordException} naming the
 * record index and the byte position (in the batch, or in the decompressed records, with the
 * codec's name). The reader does not check the CRC: {@link BatchValidator} does that where bytes
 * enter the system. Not thread-safe; close it to release the codec (zstd holds native memory).
 */
public final class RecordReader implements Iterator<Record>, AutoCloseable {
  private final BatchHeader header;
  private final String source;
  private final long position;
  private final CountingInputStream counted;
  private final InputStream in;
  private final String where;
  private final long recordsStart;
  private int index;
  private long lastOffset = -1;
  private boolean endChecked;

  private RecordReader(BatchHeader header, InputStream recordBytes, String source, long position) {
    this.header = header;
    this.source = source;
    this.position = position;
    Compression compression = header.compression();
    boolean plain = compression == Compression.NONE;
    this.where = plain ? "the batch" : BatchValidator.decompressedRecords(compression);
    this.recordsStart = plain ? HEADER_BYTES : 0;
    try {
      this.counted = new CountingInputStream(compression.decompress(recordBytes));
    } catch (IOException e) {
      throw new CorruptRecordException(
          source
              + " position "
              + position
              + ": the "
              + compression.wireName()
              + " stream of the records cannot be opened: "
              + e.getMessage(),
          CorruptRecordException.HEADER,
          HEADER_BYTES,
          e);
    }
    this.in = counted;
  }

  /**
   * A reader over the whole batch between {@code batch.position()} and {@code batch.limit()}; the
   * header is parsed and checked ({@link BatchHeader#validateStored}) against the buffer's size.
   * The buffer is not moved.
   */
  public static RecordReader of(ByteBuffer batch, String source, long position) {
    BatchHeader header =
        BatchHeader.parse(batch, new BatchLimit("the buffer", batch.remaining()), source, position);
    if (header == null) {
      throw CorruptRecordException.at(
          source,
          position,
          "only " + batch.remaining() + " bytes, fewer than the " + HEADER_BYTES + "-byte header");
    }
    ByteBuffer records = batch.duplicate();
    records.position(batch.position() + HEADER_BYTES);
    records.limit((int) (batch.position() + header.totalSize()));
    return new RecordReader(header, new ByteBufferInputStream(records), source, position);
  }

  /**
   * A reader over {@code recordBytes}, the bytes of the batch after its 61-byte header (exactly
   * {@code header.totalSize() - 61} of them; the reader does not close a stream it did not get to
   * the end of until {@link #close}).
   */
  public static RecordReader of(
      BatchHeader header, InputStream recordBytes, String source, long position) {
    return new RecordReader(header, recordBytes, source, position);
  }

  public BatchHeader header() {
    return header;
  }

  /** The offset of the record {@link #next} returned last: base offset plus its offset delta. */
  public long offset() {
    return lastOffset;
  }

  @Override
  public boolean hasNext() {
    if (index < header.recordsCount()) {
      return true;
    }
    if (!endChecked) {
      endChecked = true;
      checkNothingAfterLastRecord();
    }
    return false;
  }

  @Override
  public Record next() {
    if (!hasNext()) {
      throw new NoSuchElementException("all " + header.recordsCount() + " records were read");
    }
    long recordStart = recordsStart + counted.count();
    try {
      int length = Varints.readVarint(in);
      if (length < MIN_RECORD_BODY_BYTES) {
        throw corrupt(
            recordStart,
            "record length " + length + " is below the minimum " + MIN_RECORD_BODY_BYTES);
      }
      long bodyStart = recordsStart + counted.count();
      byte[] body = in.readNBytes(length);
      if (body.length < length) {
        throw corrupt(
            recordStart,
            "record length "
                + length
                + " runs past the end of "
                + where
                + " ("
                + body.length
                + " bytes left)");
      }
      Record r = decodeBody(ByteBuffer.wrap(body), bodyStart);
      index++;
      return r;
    } catch (EOFException e) {
      throw corrupt(recordStart, "the records end inside record " + index + "'s length", e);
    } catch (IllegalArgumentException e) {
      throw corrupt(recordStart, e.getMessage(), e);
    } catch (IOException e) {
      throw corrupt(recordStart, streamBreaks() + e.getMessage(), e);
    } catch (CorruptRecordException e) {
      throw e;
    } catch (RuntimeException e) {
      // lz4, snappy and zstd report some corrupt inputs as runtime exceptions of their own.
      throw corrupt(recordStart, streamBreaks() + e, e);
    }
  }

  private String streamBreaks() {
    Compression c = header.compression();
    return c == Compression.NONE
        ? "reading the records failed: "
        : "the " + c.wireName() + " stream breaks: ";
  }

  private Record decodeBody(ByteBuffer body, long bodyStart) {
    int fieldStart = 0;
    try {
      body.get(); // attributes: unused in v2
      fieldStart = body.position();
      long timestampDelta = Varints.readVarlong(body);
      fieldStart = body.position();
      int offsetDelta = Varints.readVarint(body);
      fieldStart = body.position();
      byte[] key = readBytes(body, "key", bodyStart);
      fieldStart = body.position();
      byte[] value = readBytes(body, "value", bodyStart);
      fieldStart = body.position();
      int headerCount = Varints.readVarint(body);
      if (headerCount < 0) {
        throw corrupt(bodyStart + fieldStart, "header count " + headerCount + " is negative");
      }
      List<Header> headers = new ArrayList<>(Math.min(headerCount, body.remaining()));
      for (int h = 0; h < headerCount; h++) {
        fieldStart = body.position();
        int keyLength = Varints.readVarint(body);
        if (keyLength < 0) {
          throw corrupt(
              bodyStart + fieldStart,
              "header " + h + "'s key length " + keyLength + " is negative");
        }
        checkFits(keyLength, body, "header " + h + "'s key", bodyStart + fieldStart);
        byte[] hk = new byte[keyLength];
        body.get(hk);
        fieldStart = body.position();
        byte[] hv = readBytes(body, "header " + h + "'s value", bodyStart);
        headers.add(new Header(new String(hk, StandardCharsets.UTF_8), hv));
      }
      if (body.hasRemaining()) {
        throw corrupt(
            bodyStart + body.position(),
            "record length says "
                + body.limit()
                + " bytes but its fields end after "
                + body.position());
      }
      lastOffset = header.baseOffset() + offsetDelta;
      return new Record(key, value, headers, header.baseTimestamp() + timestampDelta);
    } catch (BufferUnderflowException e) {
      throw corrupt(
          bodyStart + fieldStart, "a field runs past the record's length " + body.limit(), e);
    } catch (IllegalArgumentException e) {
      throw corrupt(bodyStart + fieldStart, e.getMessage(), e);
    }
  }

  private byte[] readBytes(ByteBuffer body, String what, long bodyStart) {
    int at = body.position();
    int length = Varints.readVarint(body);
    if (length < -1) {
      throw corrupt(bodyStart + at, what + " length " + length + " is below -1 (null)");
    }
    if (length == -1) {
      return null;
    }
    checkFits(length, body, what, bodyStart + at);
    byte[] bytes = new byte[length];
    body.get(bytes);
    return bytes;
  }

  private void checkFits(int length, ByteBuffer body, String what, long at) {
    if (length > body.remaining()) {
      throw corrupt(
          at,
          what
              + " length "
              + length
              + " exceeds the "
              + body.remaining()
              + " bytes left in the record's length "
              + body.limit());
    }
  }

  private void checkNothingAfterLastRecord() {
    long at = recordsStart + counted.count();
    int extra;
    try {
      extra = in.read();
    } catch (IOException e) {
      throw corrupt(at, streamBreaks() + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw corrupt(at, streamBreaks() + e, e);
    }
    if (extra >= 0) {
      throw new CorruptRecordException(
          source
              + " position "
              + position
              + ": bytes follow the last of the "
              + header.recordsCount()
              + " records at byte "
              + at
              + " of "
              + where,
          CorruptRecordException.HEADER,
          at);
    }
  }

  /** All remaining records, in order. */
  public List<Record> readAll() {
    List<Record> all = new ArrayList<>(Math.max(0, header.recordsCount() - index));
    while (hasNext()) {
      all.add(next());
    }
    return all;
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      // Nothing was written; a failure to release the input leaves nothing to repair.
    }
  }

  private CorruptRecordException corrupt(long bytePosition, String detail) {
    return CorruptRecordException.inRecord(source, position, index, bytePosition, where, detail);
  }

  private CorruptRecordException corrupt(long bytePosition, String detail, Throwable cause) {
    CorruptRecordException e = corrupt(bytePosition, detail);
    e.initCause(cause);
    return e;
  }

  /** An input stream over a buffer's remaining bytes, without copying them. */
  static final class ByteBufferInputStream extends InputStream {
    private final ByteBuffer buf;

    ByteBufferInputStream(ByteBuffer buf) {
      this.buf = buf;
    }

    @Override
    public int read() {
      return buf.hasRemaining() ? buf.get() & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (!buf.hasRemaining()) {
        return -1;
      }
      int n = Math.min(len, buf.remaining());
      buf.get(b, off, n);
      return n;
    }

    @Override
    public int available() {
      return buf.remaining();
    }
  }
}
