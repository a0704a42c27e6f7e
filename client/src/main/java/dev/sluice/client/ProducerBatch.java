package dev.sluice.client;

import dev.sluice.api.NdjsonCodec;
import dev.sluice.api.ProduceRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The records of one partition that {@link SluiceProducer} sends in one request, with the futures
 * of their senders. Records are added until the batch is closed (full, or taken by the sender);
 * after that it only changes its retry bookkeeping.
 *
 * <p>Sizes are those of the request body: the sum of the records' NDJSON lines ({@link
 * NdjsonCodec#produceLineBytes}), exact, the size the server checks against its {@code
 * sluice.api.inline-batch-bytes}.
 *
 * <p>Thread-safety: not thread-safe; guarded by the producer's lock, except {@link #records()},
 * which the one sending thread reads once the batch is closed and no longer changes.
 */
final class ProducerBatch {

  final String topic;
  final int partition;
  final long createdNanos;

  private final List<ProduceRecord> records = new ArrayList<>();
  private final List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private long bytes;
  private long reservedBytes;
  private boolean closed;

  private int attempts;
  private long notBeforeNanos = Long.MIN_VALUE;
  private RuntimeException lastFailure;

  ProducerBatch(String topic, int partition, long createdNanos) {
    this.topic = topic;
    this.partition = partition;
    this.createdNanos = createdNanos;
  }

  /**
   * Whether a record of {@code size} bytes fits under {@code batchBytes}; an empty batch takes any.
   */
  boolean hasRoomFor(int size, int batchBytes) {
    return !closed && (records.isEmpty() || bytes + size <= batchBytes);
  }

  void add(ProduceRecord record, int size, CompletableFuture<RecordMetadata> future) {
    records.add(record);
    futures.add(future);
    bytes += size;
    reservedBytes += size;
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

  /** The size of the batch's request body. */
  long bytes() {
    return bytes;
  }

  /** Buffer memory this batch holds until it is done. */
  long reservedBytes() {
    return reservedBytes;
  }

  List<ProduceRecord> records() {
    return Collections.unmodifiableList(records);
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

  /** {@code orders partition 2 (37 records, 41234 bytes)}: how errors name a batch. */
  String describe() {
    return topic
        + " partition "
        + partition
        + " ("
        + records.size()
        + (records.size() == 1 ? " record, " : " records, ")
        + bytes
        + " bytes)";
  }

  @Override
  public String toString() {
    return "batch of " + describe();
  }
}
