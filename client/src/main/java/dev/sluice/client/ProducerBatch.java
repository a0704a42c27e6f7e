package dev.sluice.client;

import dev.sluice.format.BatchLayout;
import dev.sluice.format.Compression;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * The records of one partition that {@link SluiceProducer} sends in one request, with the futures
 * of their senders. Records are added until the batch is closed (full, or taken by the sender);
 * after that it only changes its retry bookkeeping.
 *
 * <p>Sizes ({@link #bytes}) are those of the RecordBatch v2 the records make uncompressed ({@link
 * MemoryBatchBuilder}): the 61-byte header plus each record's encoding, which depends on its
 * timestamp and offset delta from the batch's first record. Uncompressed, that is exactly the
 * request body; with a codec the body is only known once compressed, so the size decides when the
 * batch is full (Kafka's producer estimates the same way) and the body's real size ({@link
 * #encoded}) is what counts against the server's limits. The batch is encoded (and compressed)
 * once, when it is first sent, and the same bytes go out again on a retry.
 *
 * <p>Identity: when the batch is first taken for sending it gets its {@link #ordinal} (its place
 * among its partition's batches, which retries keep) and, from an idempotent producer, its producer
 * id, epoch and base sequence ({@link #assign}); all of them are fixed from then on, so every retry
 * carries the same producer id, epoch and sequence in the same bytes and the leader can tell it is
 * a retry.
 *
 * <p>Thread-safety: not thread-safe; guarded by the producer's lock, except {@link #records()} and
 * {@link #encoded()}, which the one sending thread uses once the batch is closed and no longer
 * changes.
 */
final class ProducerBatch {

  final String topic;
  final int partition;
  final long createdNanos;

  private final Compression compression;
  private final List<Record> records = new ArrayList<>();
  private final List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private long bytes = BatchLayout.HEADER_BYTES;
  private long reservedBytes;
  private boolean closed;
  private ByteBuffer encoded;

  /** The encoded batch's size, -1 until it is encoded; kept after its buffer was given back. */
  private int encodedBytes = -1;

  private long ordinal = -1;
  private long producerId = BatchLayout.NO_PRODUCER_ID;
  private short producerEpoch = BatchLayout.NO_PRODUCER_EPOCH;
  private int baseSequence = BatchLayout.NO_SEQUENCE;

  private int attempts;
  private long notBeforeNanos = Long.MIN_VALUE;
  private RuntimeException lastFailure;

  ProducerBatch(String topic, int partition, long createdNanos) {
    this(topic, partition, createdNanos, Compression.NONE);
  }

  /** An empty batch whose records will travel compressed with {@code compression}. */
  ProducerBatch(String topic, int partition, long createdNanos, Compression compression) {
    this.topic = topic;
    this.partition = partition;
    this.createdNanos = createdNanos;
    this.compression = compression;
  }

  /**
   * Whether {@code record} fits under {@code batchBytes} once encoded (uncompressed) in this batch;
   * an empty batch takes any.
   */
  boolean hasRoomFor(Record record, int batchBytes) {
    return !closed && (records.isEmpty() || bytes + sizeInBatch(record) <= batchBytes);
  }

  /**
   * Adds the record; {@code reserved} is the buffer memory the producer took for it, given back
   * when the batch is done.
   */
  void add(Record record, int reserved, CompletableFuture<RecordMetadata> future) {
    bytes += sizeInBatch(record);
    records.add(record);
    futures.add(future);
    reservedBytes += reserved;
  }

  /** What the record adds to the encoded batch as its next record. */
  private int sizeInBatch(Record record) {
    long baseTimestamp = records.isEmpty() ? record.timestamp() : records.get(0).timestamp();
    return MemoryBatchBuilder.sizeOfRecord(record, baseTimestamp, records.size());
  }

  void close() {
    closed = true;
  }

  boolean closed() {
    return closed;
  }

  int recordCount() {
    return records.size();
  }

  /**
   * The size of the batch as an uncompressed RecordBatch v2: its request body when it is not
   * compressed.
   */
  long bytes() {
    return bytes;
  }

  Compression compression() {
    return compression;
  }

  /** Buffer memory this batch holds until it is done. */
  long reservedBytes() {
    return reservedBytes;
  }

  List<Record> records() {
    return Collections.unmodifiableList(records);
  }

  /**
   * Fixes the batch's identity when it is first taken for sending: its {@code ordinal} in its
   * partition and, for an idempotent producer, its producer id, epoch and base sequence ({@code
   * producerId} -1 for none). Only once, before {@link #encoded}.
   */
  void assign(long ordinal, long producerId, short producerEpoch, int baseSequence) {
    if (this.ordinal >= 0 || encoded != null) {
      throw new IllegalStateException("the " + this + " already has its identity");
    }
    this.ordinal = ordinal;
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
  }

  /** Whether {@link #assign} was called: the batch was taken for sending at least once. */
  boolean assigned() {
    return ordinal >= 0;
  }

  /** The batch's place among its partition's batches, -1 before it is first sent. */
  long ordinal() {
    return ordinal;
  }

  /** The producer id in the batch, -1 when it has none (not idempotent, or not yet sent). */
  long producerId() {
    return producerId;
  }

  short producerEpoch() {
    return producerEpoch;
  }

  /** The sequence of the batch's first record, -1 when it has none. */
  int baseSequence() {
    return baseSequence;
  }

  /**
   * The batch as a RecordBatch v2 (compressed with the batch's codec; with the producer id, epoch
   * and base sequence of {@link #assign}, if any), encoded on the first call; a fresh view of the
   * same bytes each time. Only once the batch is closed.
   */
  ByteBuffer encoded() {
    return encoded(ByteBuffer::allocate);
  }

  /**
   * {@link #encoded()}, an uncompressed batch encoded into a buffer {@code buffers} gives for its
   * size (the producer's {@link BatchBuffers}); {@link #releaseBuffer} hands it back.
   */
  ByteBuffer encoded(IntFunction<ByteBuffer> buffers) {
    if (!closed) {
      throw new IllegalStateException("batch of " + describe() + " is still open");
    }
    if (encoded == null && encodedBytes >= 0) {
      throw new IllegalStateException("the buffer of the " + this + " was given back");
    }
    if (encoded == null) {
      encoded =
          MemoryBatchBuilder.build(
              records, compression, producerId, producerEpoch, baseSequence, buffers);
      encodedBytes = encoded.remaining();
    }
    return encoded.duplicate();
  }

  /**
   * Gives the encoded bytes back to {@code buffers} once the leader acknowledged the batch; the
   * batch is not encoded or sent again after that.
   */
  void releaseBuffer(BatchBuffers buffers) {
    if (encoded != null) {
      ByteBuffer buffer = encoded;
      encoded = null;
      buffers.giveBack(buffer);
    }
  }

  List<CompletableFuture<RecordMetadata>> futures() {
    return futures;
  }

  /** Completes once every record's future is completed, with an offset or a failure. */
  CompletableFuture<Void> done() {
    return done;
  }

  /** Counts an attempt about to be sent, and returns its number (1 for the first). */
  int startAttempt() {
    return ++attempts;
  }

  int attempts() {
    return attempts;
  }

  long notBeforeNanos() {
    return notBeforeNanos;
  }

  void retryAfter(long notBeforeNanos, RuntimeException failure) {
    this.notBeforeNanos = notBeforeNanos;
    this.lastFailure = failure;
  }

  /** The failure of the last attempt, or null when none failed. */
  RuntimeException lastFailure() {
    return lastFailure;
  }

  /**
   * {@code orders partition 2 (37 records, 41234 bytes)}, with {@code , gzip to 9120 bytes} once a
   * compressed batch is encoded and {@code , producer id 7 sequence 120} when it has one: how
   * errors name a batch.
   */
  String describe() {
    return topic
        + " partition "
        + partition
        + " ("
        + records.size()
        + (records.size() == 1 ? " record, " : " records, ")
        + bytes
        + " bytes"
        + (compression != Compression.NONE && encodedBytes >= 0
            ? ", " + compression.wireName() + " to " + encodedBytes + " bytes"
            : "")
        + (producerId >= 0 ? ", producer id " + producerId + " sequence " + baseSequence : "")
        + ")";
  }

  @Override
  public String toString() {
    return "batch of " + describe();
  }
}
