package dev.sluice.format;

import static dev.sluice.format.BatchLayout.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Checks one produced batch as its bytes arrive, in chunks of any size, in bounded memory: the
 * 61-byte header is gathered and checked ({@link BatchHeader#validateProduced}; length and magic as
 * soon as their bytes are present, so an oversized body is refused after 12 bytes), the CRC-32C is
 * computed incrementally, and, for an uncompressed batch, every record is checked by a push parser
 * ({@link RecordsChecker}) that never holds a record. Memory is the header and a few counters,
 * whatever the batch size.
 *
 * <p>Usage: {@link #accept} each chunk, then {@link #finish}, which checks that exactly the batch's
 * bytes arrived and the CRC matches, and returns the header. A compressed batch's records are only
 * checkable after decompression: {@link #validateCompressed} is that pull pass, run over the bytes
 * once they are staged. Every failure is a {@link CorruptRecordException} naming the record index
 * (-1 for the header) and the byte position. Not thread-safe; one instance per batch.
 */
public final class BatchValidator {
  private static final int READ_CHUNK_BYTES = 8 * 1024;

  private final BatchLimit limit;
  private final String source;
  private final long position;
  private final byte[] headerBytes = new byte[HEADER_BYTES];
  private final CRC32C crc = new CRC32C();
  private int headerFill;
  private BatchHeader header;
  private RecordsChecker records;
  private long received;

  public BatchValidator(BatchLimit limit, String source, long position) {
    this.limit = limit;
    this.source = source;
    this.position = position;
  }

  public BatchValidator(BatchLimit limit, String source) {
    this(limit, source, 0);
  }

  /**
   * Checks the chunk's remaining bytes. The chunk's position is not moved, so the caller can write
   * the same buffer afterwards.
   */
  public void accept(ByteBuffer chunk) {
    ByteBuffer in = chunk.duplicate();
    if (header == null) {
      int n = Math.min(HEADER_BYTES - headerFill, in.remaining());
      in.get(headerBytes, headerFill, n);
      headerFill += n;
      received += n;
      // Refuses an impossible length or magic as soon as their bytes are present.
      BatchHeader.peekTotalSize(
          ByteBuffer.wrap(headerBytes, 0, headerFill), limit, source, position);
      if (headerFill < HEADER_BYTES) {
        return;
      }
      header = BatchHeader.decode(ByteBuffer.wrap(headerBytes));
      header.validateProduced(limit, source, position);
      crc.update(headerBytes, CRC_COVERAGE_OFFSET, HEADER_BYTES - CRC_COVERAGE_OFFSET);
      if (header.compression() == Compression.NONE) {
        records =
            new RecordsChecker(
                header, source, position, HEADER_BYTES, header.totalSize(), "the batch");
      }
    }
    if (!in.hasRemaining()) {
      return;
    }
    long total = header.totalSize();
    if (received + in.remaining() > total) {
      throw new CorruptRecordException(
          source
              + " position "
              + position
              + ": more bytes than the batch length "
              + header.batchLength()
              + " announces (batch size "
              + total
              + "); byte "
              + total
              + " is past the end",
          CorruptRecordException.HEADER,
          total);
    }
    received += in.remaining();
    crc.update(in.duplicate());
    if (records != null) {
      records.feed(in);
    }
  }

  /** Bytes accepted so far. */
  public long bytesAccepted() {
    return received;
  }

  /** The header once its 61 bytes have been accepted and checked, else null. */
  public BatchHeader header() {
    return header;
  }

  /**
   * Ends the batch: all of its bytes arrived, the CRC matches, and, uncompressed, every record is
   * complete and the max timestamp is right. Returns the checked header.
   */
  public BatchHeader finish() {
    if (header == null) {
      throw CorruptRecordException.at(
          source,
          position,
          "the batch ends after "
              + received
              + " bytes, inside the "
              + HEADER_BYTES
              + "-byte header");
    }
    if (received < header.totalSize()) {
      throw new CorruptRecordException(
          source
              + " position "
              + position
              + ": the batch ends after "
              + received
              + " of its "
              + header.totalSize()
              + " bytes (batch length "
              + header.batchLength()
              + ")",
          CorruptRecordException.HEADER,
          received);
    }
    int computed = (int) crc.getValue();
    if (computed != header.crc()) {
      throw CorruptRecordException.inHeader(
          source,
          position,
          "crc",
          CRC_OFFSET,
          "stored CRC-32C 0x"
              + Integer.toHexString(header.crc())
              + " does not match 0x"
              + Integer.toHexString(computed)
              + " computed over bytes ["
              + CRC_COVERAGE_OFFSET
              + ", "
              + header.totalSize()
              + ")");
    }
    if (records != null) {
      records.finish();
    }
    return header;
  }

  /**
   * Checks the records of a compressed batch: {@code recordBytes} are the batch's bytes after its
   * header, read once through the codec in small chunks. Memory is the codec's window and one read
   * buffer. For an uncompressed batch there is nothing left to check.
   *
   * <p>The decompressed records may take at most {@code limit.bytes()}: the same limit an
   * uncompressed batch has, so that everything downstream that holds a record (a consumer, an
   * NDJSON line) is bounded by that setting whatever the compression ratio, and a small batch that
   * inflates without end (a decompression bomb) is refused after {@code limit.bytes() + 1} bytes.
   * Errors name the codec; a stream the codec cannot decode is a {@link CorruptRecordException}
   * with the number of bytes it decompressed before breaking.
   */
  public static void validateCompressed(
      BatchHeader header, InputStream recordBytes, BatchLimit limit, String source, long position) {
    Compression compression = header.compression();
    if (compression == Compression.NONE) {
      return;
    }
    RecordsChecker checker =
        new RecordsChecker(
            header, source, position, 0, Long.MAX_VALUE, decompressedRecords(compression));
    byte[] buf = new byte[READ_CHUNK_BYTES];
    long decompressed = 0;
    try (InputStream in = compression.decompress(recordBytes, limit.bytes())) {
      int n;
      while ((n = in.read(buf)) > 0) {
        decompressed += n;
        if (decompressed > limit.bytes()) {
          throw new CorruptRecordException(
              source
                  + " position "
                  + position
                  + ": the "
                  + compression.wireName()
                  + " records decompress to more than "
                  + limit.bytes()
                  + " bytes, above "
                  + limit.name()
                  + " = "
                  + limit.bytes()
                  + " (decompressed records have the limit of an uncompressed batch)",
              CorruptRecordException.HEADER,
              HEADER_BYTES);
        }
        checker.feed(ByteBuffer.wrap(buf, 0, n));
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof CorruptRecordException c) {
        throw c;
      }
      // Codecs report a corrupt stream as IOException or, for some inputs, as a runtime exception
      // of their own (snappy's SnappyError, zstd's ZstdException and lz4's LZ4Exception).
      throw new CorruptRecordException(
          source
              + " position "
              + position
              + ": the "
              + compression.wireName()
              + " stream breaks after "
              + decompressed
              + " decompressed bytes: "
              + e.getMessage(),
          CorruptRecordException.HEADER,
          HEADER_BYTES,
          e);
    }
    checker.finish();
  }

  /**
   * {@link #validateCompressed(BatchHeader, InputStream, BatchLimit, String, long)} over a whole
   * batch in memory, between {@code batch.position()} and its limit (not moved), once {@link
   * #finish} has checked its header and CRC.
   */
  public static void validateCompressed(
      BatchHeader header, ByteBuffer batch, BatchLimit limit, String source, long position) {
    if (header.compression() == Compression.NONE) {
      return;
    }
    ByteBuffer records = batch.duplicate();
    records.position(batch.position() + HEADER_BYTES);
    validateCompressed(
        header, new RecordReader.ByteBufferInputStream(records), limit, source, position);
  }

  /** How errors name the records of a compressed batch: "the decompressed gzip records". */
  static String decompressedRecords(Compression compression) {
    return "the decompressed " + compression.wireName() + " records";
  }

  /**
   * Checks a whole produced batch held in memory (the buffer's remaining bytes; not moved): header,
   * CRC and, decompressing if need be, every record.
   */
  public static BatchHeader validate(ByteBuffer batch, BatchLimit limit, String source) {
    BatchValidator v = new BatchValidator(limit, source);
    v.accept(batch);
    return v.finish(batch).header();
  }

  /**
   * Ends the batch as {@link #finish()} does and, for a compressed batch, checks its records
   * decompressed from {@code whole} ({@link #validateCompressed}); returns {@code whole} as a
   * {@link ValidatedBatch}, which a log appends without a second pass.
   *
   * @param whole exactly the bytes this validator accepted, in order, from position 0 of the batch
   *     (the caller assembled them from the chunks it fed); handed over with the result
   */
  public ValidatedBatch finish(ByteBuffer whole) {
    BatchHeader h = finish();
    if (whole.remaining() != received) {
      throw new IllegalArgumentException(
          source
              + ": the assembled batch holds "
              + whole.remaining()
              + " bytes, but "
              + received
              + " were validated");
    }
    validateCompressed(h, whole, limit, source, position);
    return new ValidatedBatch(whole, h);
  }
}
