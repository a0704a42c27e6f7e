package dev.sluice.client;

import dev.sluice.api.RecordHeader;
import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.format.Header;
import dev.sluice.format.Record;
import dev.sluice.format.RecordReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a fetch answer of raw batches (Kafka's RecordBatch v2 as the server stores them) into
 * records: each batch is read whole, its CRC-32C checked (the producer's own checksum, end to end,
 * as Kafka's consumer does with {@code check.crcs}), and its records decoded, decompressed with the
 * batch's codec (gzip, snappy, lz4, zstd: {@link dev.sluice.format.Compression}). Records below the
 * fetched offset (a fetch may start inside a batch) are left out.
 *
 * <p>Memory: one batch's bytes and its records at a time, plus the records returned; a batch is at
 * most the server's {@code max-batch-bytes}, and its decompressed records were capped at that same
 * limit when it was produced. Stateless; thread-safe.
 */
final class FetchedBatches {
  /** The largest batch a byte array can hold; the server's own limit is normally far below. */
  private static final BatchLimit ARRAY_LIMIT =
      new BatchLimit("the largest Java array", Integer.MAX_VALUE - 8);

  private FetchedBatches() {}

  /**
   * The records of the batches in {@code in} at or above {@code fromOffset}, in order.
   *
   * @param source names the answer in errors (method and path)
   * @throws SluiceClientException ({@link SluiceClientException#BAD_ANSWER}) for bytes that are not
   *     whole, intact batches
   */
  static List<ConsumedRecord> decode(InputStream in, long fromOffset, String source)
      throws IOException {
    List<ConsumedRecord> records = new ArrayList<>();
    long position = 0;
    try {
      while (true) {
        byte[] head = in.readNBytes(BatchLayout.HEADER_BYTES);
        if (head.length == 0) {
          return records;
        }
        if (head.length < BatchLayout.HEADER_BYTES) {
          throw CorruptRecordException.at(
              source,
              position,
              "the answer ends after "
                  + head.length
                  + " bytes of a "
                  + BatchLayout.HEADER_BYTES
                  + "-byte batch header");
        }
        BatchHeader header =
            BatchHeader.parse(ByteBuffer.wrap(head), ARRAY_LIMIT, source, position);
        int size = Math.toIntExact(header.totalSize());
        byte[] batch = new byte[size];
        System.arraycopy(head, 0, batch, 0, head.length);
        int read = in.readNBytes(batch, head.length, size - head.length);
        if (head.length + read < size) {
          throw CorruptRecordException.at(
              source,
              position,
              "the answer ends after "
                  + (head.length + read)
                  + " of the batch's "
                  + size
                  + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.wrap(batch);
        int crc = BatchLayout.crc(buffer);
        if (crc != header.crc()) {
          throw CorruptRecordException.inHeader(
              source,
              position,
              "crc",
              BatchLayout.CRC_OFFSET,
              "stored CRC-32C 0x"
                  + Integer.toHexString(header.crc())
                  + " does not match 0x"
                  + Integer.toHexString(crc)
                  + " computed over bytes ["
                  + BatchLayout.CRC_COVERAGE_OFFSET
                  + ", "
                  + size
                  + ")");
        }
        try (RecordReader reader = RecordReader.of(buffer, source, position)) {
          while (reader.hasNext()) {
            Record r = reader.next();
            if (reader.offset() >= fromOffset) {
              records.add(consumed(reader.offset(), r));
            }
          }
        }
        position += size;
      }
    } catch (CorruptRecordException e) {
      throw SluiceClientException.badAnswer(
          "the server's batches cannot be decoded: " + e.getMessage(), e);
    }
  }

  private static ConsumedRecord consumed(long offset, Record r) {
    List<RecordHeader> headers = new ArrayList<>(r.headers().size());
    for (Header h : r.headers()) {
      headers.add(new RecordHeader(h.key(), h.value()));
    }
    return new ConsumedRecord(offset, r.timestamp(), r.key(), r.value(), headers);
  }
}
