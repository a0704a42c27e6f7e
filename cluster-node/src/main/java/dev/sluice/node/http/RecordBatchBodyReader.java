package dev.sluice.node.http;

import dev.sluice.api.ErrorBody;
import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.BatchValidator;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.format.ValidatedBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.util.ByteString;

/**
 * Reads one producer-built RecordBatch v2 body ({@code application/vnd.sluice.record-batch.v2}) as
 * its chunks arrive: counts them against {@code sluice.api.inline-batch-bytes} and the partition's
 * {@code max-batch-bytes} (the latter also as soon as the batch's own length field is in, after 12
 * bytes), checks them with {@link BatchValidator} on the way (CRC, sizes, record count, offset
 * deltas; a compressed batch's records decompressed, once the body is complete), refuses a batch
 * without a producer id that carries a producer epoch or sequence as soon as the header is in, and
 * keeps the chunks for the one append.
 *
 * <p>Memory is the body itself, at most {@code min(inline-batch-bytes, max-batch-bytes)}, plus the
 * validator's constant state. A failure is an {@link ApiException}: 413 for a limit, 400 naming the
 * record index and byte position from the validator's {@link CorruptRecordException}.
 *
 * <p>Thread-safety: not thread-safe; one instance per request, fed by one stream stage.
 */
final class RecordBatchBodyReader {
  private final String source;
  private final long inlineBatchBytes;
  private final long maxBatchBytes;
  private final String maxBatchName;
  private final BatchValidator validator;
  private final List<ByteString> chunks = new ArrayList<>();
  private final byte[] lengthPrefix = new byte[BatchLayout.LOG_OVERHEAD];
  private long received;
  private boolean headerChecked;

  RecordBatchBodyReader(
      String source, long inlineBatchBytes, long maxBatchBytes, String maxBatchName) {
    this.source = source;
    this.inlineBatchBytes = inlineBatchBytes;
    this.maxBatchBytes = maxBatchBytes;
    this.maxBatchName = maxBatchName;
    this.validator = new BatchValidator(BatchLimit.maxBatchBytes(maxBatchBytes), source);
  }

  /** Checks and keeps the next chunk of the body. */
  void accept(ByteString chunk) {
    long before = received;
    received += chunk.size();
    if (received > inlineBatchBytes) {
      throw bodyTooLarge(
          inlineBatchBytes,
          "of more than " + inlineBatchBytes + " bytes (" + received + " received so far)");
    }
    if (before < lengthPrefix.length) {
      int n = (int) Math.min(lengthPrefix.length - before, chunk.size());
      chunk.asByteBuffer().get(lengthPrefix, (int) before, n);
      if (before + n == lengthPrefix.length) {
        long declared =
            (long) BatchLayout.LOG_OVERHEAD
                + ByteBuffer.wrap(lengthPrefix).getInt(BatchLayout.BATCH_LENGTH_OFFSET);
        if (declared > maxBatchBytes) {
          throw batchTooLarge("whose batch length announces " + declared + " bytes");
        }
      }
    }
    if (received > maxBatchBytes) {
      throw batchTooLarge("of more than " + maxBatchBytes + " bytes (" + received + " so far)");
    }
    try {
      validator.accept(chunk.asByteBuffer());
    } catch (CorruptRecordException e) {
      throw invalid(e);
    }
    if (!headerChecked && validator.header() != null) {
      headerChecked = true;
      checkProducerFields(validator.header());
    }
    chunks.add(chunk);
  }

  /**
   * Ends the body: every byte of the batch arrived and was checked (a compressed batch's records
   * now, decompressed). Returns the batch for {@code PartitionLog.appendValidatedBatch}, which
   * neither checks nor copies it again.
   */
  ValidatedBatch finish() {
    ByteBuffer batch = ByteBuffer.allocate(Math.toIntExact(received));
    for (ByteString chunk : chunks) {
      chunk.copyToBuffer(batch);
    }
    batch.flip();
    chunks.clear();
    try {
      return validator.finish(batch);
    } catch (CorruptRecordException e) {
      throw invalid(e);
    }
  }

  /** The body's size so far, which is the batch's once {@link #finish} returned. */
  long bytes() {
    return received;
  }

  /**
   * The validator checked an idempotent batch's epoch and sequence (both at least 0); a batch
   * without a producer id must carry neither, or it would read as part of some producer's sequence.
   */
  private void checkProducerFields(BatchHeader h) {
    if (h.producerId() != BatchLayout.NO_PRODUCER_ID) {
      return;
    }
    if (h.producerEpoch() != BatchLayout.NO_PRODUCER_EPOCH) {
      throw withoutProducer(
          "producerEpoch", BatchLayout.PRODUCER_EPOCH_OFFSET, h.producerEpoch(), "epoch");
    }
    if (h.baseSequence() != BatchLayout.NO_SEQUENCE) {
      throw withoutProducer(
          "baseSequence", BatchLayout.BASE_SEQUENCE_OFFSET, h.baseSequence(), "base sequence");
    }
  }

  private ApiException withoutProducer(String field, int offset, long value, String what) {
    return new ApiException(
        400,
        source
            + ": header field "
            + field
            + " at byte "
            + offset
            + " of the batch is "
            + value
            + ", but the batch has no producer id (-1), which requires "
            + what
            + " -1; nothing was written",
        position(CorruptRecordException.HEADER, offset));
  }

  private static ApiException invalid(CorruptRecordException e) {
    return new ApiException(
        400, e.getMessage() + "; nothing was written", position(e.recordIndex(), e.bytePosition()));
  }

  private static Map<String, Object> position(int recordIndex, long bytePosition) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put(NdjsonBatchReader.RECORD_INDEX, recordIndex);
    details.put(NdjsonBatchReader.BYTE_POSITION, bytePosition);
    return details;
  }

  private ApiException batchTooLarge(String size) {
    return new ApiException(
        413,
        source
            + ": record batch "
            + size
            + " is larger than "
            + maxBatchName
            + " = "
            + maxBatchBytes
            + "; nothing was written: send fewer or smaller records per batch",
        Map.of(ErrorBody.MAX_BATCH_BYTES, maxBatchBytes));
  }

  /** A body over {@code inline-batch-bytes}; the same answer as for an NDJSON body. */
  static ApiException bodyTooLarge(long inlineBatchBytes, String size) {
    return new ApiException(
        413,
        "batched produce body "
            + size
            + " is larger than sluice.api.inline-batch-bytes = "
            + inlineBatchBytes
            + "; nothing was written: send fewer or smaller records per request",
        Map.of(ProduceHandler.INLINE_BATCH_BYTES, inlineBatchBytes));
  }
}
