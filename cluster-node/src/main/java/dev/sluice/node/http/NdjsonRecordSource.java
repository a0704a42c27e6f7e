package dev.sluice.node.http;

import dev.sluice.api.MediaTypes;
import dev.sluice.api.NdjsonCodec;
import dev.sluice.api.RecordHeader;
import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.Header;
import dev.sluice.log.LogSlice;
import dev.sluice.log.record.FileRecordReader;
import dev.sluice.log.record.StoredRecord;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Streams the records of stored batches as {@link MediaTypes#NDJSON}, one line per record:
 *
 * <pre>
 * {"offset":N,"timestamp":T,"key":base64|null,"headers":[{"key":"name","value":base64|null}],"value":base64|null}
 * </pre>
 *
 * Lines are written with {@link NdjsonCodec}'s pieces, the codec clients read them with. Keys,
 * values and header values are standard base64 with padding; header names are JSON strings. The
 * value comes last so that it can be encoded piece by piece: a value of any size passes in O({@link
 * #VALUE_PIECE_BYTES}) memory, since base64 of pieces whose length is a multiple of 3 concatenates
 * to the base64 of the whole. Records of a batch below {@code fromOffset} (a fetch may start inside
 * a batch) are skipped.
 *
 * <p>The batches are decoded with the log's own reader ({@link FileRecordReader}); a record that
 * does not fit its batch fails the stream with the reader's error, which names file and position. A
 * compressed batch is decoded from its codec's stream: values are read in the same pieces from the
 * decompressed records, so memory stays bounded (two codec windows per open batch, see {@link
 * FileRecordReader}) whatever the value sizes. The answer is cut into elements of about {@link
 * #ELEMENT_BYTES}, each read only when downstream asks for it, on Pekko's blocking-IO dispatcher
 * ({@code unfoldResource}'s default).
 *
 * <p>Thread-safety: each materialization has its own cursor and file channels.
 */
final class NdjsonRecordSource {
  /** Raw value bytes encoded per step; a multiple of 3, so that pieces need no padding. */
  static final int VALUE_PIECE_BYTES = NdjsonCodec.VALUE_PIECE_BYTES;

  /** Small records are gathered into elements of about this size. */
  static final int ELEMENT_BYTES = 64 * 1024;

  private NdjsonRecordSource() {}

  /** The records of {@code slices} at or above {@code fromOffset}, as NDJSON. */
  static Source<ByteString, NotUsed> create(
      List<LogSlice> slices, long fromOffset, BatchLimit limit) {
    return Source.unfoldResource(
        () -> new Cursor(slices, fromOffset, limit), Cursor::next, Cursor::close);
  }

  /** One line without a record: {@code {"nextOffset":N,"highWatermark":H}}, ending a stream. */
  static ByteString endLine(long nextOffset, long highWatermark) {
    return ByteString.fromString(
        "{\""
            + NdjsonCodec.NEXT_OFFSET
            + "\":"
            + nextOffset
            + ",\""
            + NdjsonCodec.HIGH_WATERMARK
            + "\":"
            + highWatermark
            + "}\n",
        StandardCharsets.US_ASCII);
  }

  /** Walks slices, batches, records and value pieces; not thread-safe. */
  private static final class Cursor {
    private final ArrayDeque<LogSlice> slices;
    private final long fromOffset;
    private final BatchLimit limit;
    private LogSlice slice;
    private FileChannel channel;
    private long batchPosition;
    private FileRecordReader records;
    private long valuePosition;
    private long valueRemaining;

    Cursor(List<LogSlice> slices, long fromOffset, BatchLimit limit) {
      this.slices = new ArrayDeque<>(slices);
      this.fromOffset = fromOffset;
      this.limit = limit;
    }

    Optional<ByteString> next() throws IOException {
      ByteStringBuilder out = new ByteStringBuilder();
      while (out.length() < ELEMENT_BYTES) {
        if (valueRemaining > 0) {
          appendValuePiece(out);
          continue;
        }
        StoredRecord r = nextRecord();
        if (r == null) {
          break;
        }
        appendRecordStart(out, r);
      }
      return out.length() == 0 ? Optional.empty() : Optional.of(out.result());
    }

    private void appendRecordStart(ByteStringBuilder out, StoredRecord r) {
      List<RecordHeader> headers = new ArrayList<>(r.headers().size());
      for (Header h : r.headers()) {
        headers.add(new RecordHeader(h.key(), h.value()));
      }
      out.putBytes(NdjsonCodec.fetchLineStart(r.offset(), r.timestamp(), r.key(), headers));
      if (r.valueLength() < 0) {
        out.putBytes(NdjsonCodec.nullValueEnd());
      } else {
        out.putBytes(NdjsonCodec.valueStart());
        valuePosition = r.valuePosition();
        valueRemaining = r.valueLength();
        if (valueRemaining == 0) {
          out.putBytes(NdjsonCodec.valueEnd());
        }
      }
    }

    private void appendValuePiece(ByteStringBuilder out) throws IOException {
      ByteBuffer piece = ByteBuffer.allocate((int) Math.min(VALUE_PIECE_BYTES, valueRemaining));
      records.readValue(valuePosition, piece);
      valuePosition += piece.capacity();
      valueRemaining -= piece.capacity();
      out.putBytes(NdjsonCodec.encodeValuePiece(piece.array()));
      if (valueRemaining == 0) {
        out.putBytes(NdjsonCodec.valueEnd());
      }
    }

    /** The next record at or above {@code fromOffset}, or null after the last slice. */
    private StoredRecord nextRecord() throws IOException {
      while (true) {
        if (records != null && records.hasNext()) {
          StoredRecord r = records.next();
          if (r.offset() >= fromOffset) {
            return r;
          }
          continue;
        }
        if (!nextBatch()) {
          return null;
        }
      }
    }

    /** Opens the reader of the next batch; false when no batch is left. */
    private boolean nextBatch() throws IOException {
      closeRecords();
      while (slice == null || batchPosition >= slice.position() + slice.length()) {
        closeChannel();
        slice = slices.poll();
        if (slice == null) {
          return false;
        }
        channel = FileChannel.open(slice.segmentFile(), StandardOpenOption.READ);
        batchPosition = slice.position();
      }
      ByteBuffer head = ByteBuffer.allocate(BatchLayout.HEADER_BYTES);
      readFully(head, batchPosition);
      head.flip();
      String source = slice.segmentFile().toString();
      BatchHeader header = BatchHeader.parse(head, limit, source, batchPosition);
      records = new FileRecordReader(channel, slice.segmentFile(), batchPosition, header, limit);
      batchPosition += header.totalSize();
      return true;
    }

    private void readFully(ByteBuffer buf, long position) throws IOException {
      long at = position;
      while (buf.hasRemaining()) {
        int n = channel.read(buf, at);
        if (n < 0) {
          throw new EOFException(
              slice.segmentFile() + " ended at position " + at + " inside a fetched batch");
        }
        at += n;
      }
    }

    private void closeChannel() throws IOException {
      if (channel != null) {
        channel.close();
        channel = null;
      }
    }

    private void closeRecords() throws IOException {
      if (records != null) {
        records.close();
        records = null;
      }
    }

    void close() throws IOException {
      try {
        closeRecords();
      } finally {
        closeChannel();
      }
    }
  }
}
