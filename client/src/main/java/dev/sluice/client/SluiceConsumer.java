package dev.sluice.client;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Reads one partition from a position onwards, many records per request, waiting on the server
 * (long poll) instead of polling it: {@link #assign}, {@link #seek}, then {@link #poll} in a loop.
 * Each poll moves the position past the records it returned.
 *
 * <pre>{@code
 * SluiceConsumer consumer = SluiceConsumer.create(client);
 * consumer.assign("orders", 0);
 * consumer.seek(0);
 * while (running) {
 *   for (ConsumedRecord r : consumer.poll(Duration.ofSeconds(5))) { ... }
 * }
 * }</pre>
 *
 * <p>Batches are fetched as the server stores them and decoded here ({@link
 * SluiceClient#fetchBatches}): the producer's CRC is checked, and compressed batches (gzip, snappy,
 * lz4, zstd) are decompressed with the codec libraries Kafka's client uses.
 *
 * <p>A poll returns as soon as the server has records at the position, or an empty list once the
 * timeout has passed. Errors (an unknown topic, a position outside the log: 416) are the {@link
 * SluiceClientException}s of {@link SluiceClient#fetchBatches}, and leave the position unchanged.
 *
 * <p>Thread-safety: not thread-safe; one thread polls, as with Kafka's consumer. The {@link
 * SluiceClient} underneath may be shared.
 */
public final class SluiceConsumer {
  /** Bytes of batches asked for per request when not set otherwise. */
  public static final int DEFAULT_MAX_BYTES = 1024 * 1024;

  private final SluiceClient client;
  private final int maxBytes;
  private String topic;
  private int partition = -1;
  private long position;
  private long highWatermark = -1;

  private SluiceConsumer(SluiceClient client, int maxBytes) {
    this.client = Objects.requireNonNull(client, "client");
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes = " + maxBytes + ": must be positive");
    }
    this.maxBytes = maxBytes;
  }

  /** A consumer asking for up to {@link #DEFAULT_MAX_BYTES} per request. */
  public static SluiceConsumer create(SluiceClient client) {
    return new SluiceConsumer(client, DEFAULT_MAX_BYTES);
  }

  /**
   * A consumer asking for up to {@code maxBytes} of batches per request (the server still answers
   * one whole batch when a single batch is larger).
   */
  public static SluiceConsumer create(SluiceClient client, int maxBytes) {
    return new SluiceConsumer(client, maxBytes);
  }

  /** Reads {@code partition} of {@code topic} from now on, from position 0 until {@link #seek}. */
  public void assign(String topic, int partition) {
    Objects.requireNonNull(topic, "topic");
    if (partition < 0) {
      throw new IllegalArgumentException("partition = " + partition + ": must not be negative");
    }
    this.topic = topic;
    this.partition = partition;
    this.position = 0;
    this.highWatermark = -1;
  }

  /** The next poll reads from {@code offset}. */
  public void seek(long offset) {
    requireAssigned();
    if (offset < 0) {
      throw new IllegalArgumentException("offset = " + offset + ": must not be negative");
    }
    position = offset;
  }

  /** The offset the next poll reads from. */
  public long position() {
    requireAssigned();
    return position;
  }

  /** The high watermark the last answer reported, or -1 before the first poll. */
  public long highWatermark() {
    return highWatermark;
  }

  /**
   * The records at the position, waiting up to {@code timeout} for some to be committed; empty when
   * none came in time. The server caps one wait ({@code sluice.api.max-fetch-wait}); a longer
   * timeout is served by several requests.
   */
  public List<ConsumedRecord> poll(Duration timeout) {
    requireAssigned();
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout = " + timeout + ": must not be negative");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      FetchedRecords fetched = client.fetchBatches(topic, partition, position, maxBytes, left);
      highWatermark = fetched.highWatermark();
      // Never step backwards, whatever the server says: a poll loop must make progress.
      position = Math.max(position, fetched.nextOffset());
      if (!fetched.isEmpty() || left.isZero() || deadline - System.nanoTime() <= 0) {
        return fetched.records();
      }
    }
  }

  private void requireAssigned() {
    if (topic == null) {
      throw new IllegalStateException("no partition assigned: call assign(topic, partition)");
    }
  }
}
