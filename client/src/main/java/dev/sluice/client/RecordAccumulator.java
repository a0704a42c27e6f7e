package dev.sluice.client;

import dev.sluice.format.Record;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntUnaryOperator;

/**
 * The batches of a {@link SluiceProducer} that are not done yet, per partition, and the rules that
 * say which of them the sender takes next. Pure bookkeeping: no threads, no I/O, no clock of its
 * own (every method that needs the time is given it), so the rules are tested with plain numbers.
 *
 * <p>A partition's head batch is <em>ready</em> when it is closed (full: the next record did not
 * fit, or it reached {@code batchBytes}), when {@code linger} has passed since its first record, or
 * when the producer flushes or closes; a batch waiting to be retried is ready once its backoff has
 * passed. A batch whose delivery timeout has passed while it waits is <em>expired</em>.
 *
 * <p>Invariants: per partition, batches are queued in the order of their first record, and only the
 * last one accepts records; a partition never has more than {@code maxInFlight} batches in flight;
 * a batch that failed and will be retried goes back to the front of its partition, so that with
 * {@code maxInFlight == 1} it is sent again before any later batch of that partition and the
 * partition's order is kept.
 *
 * <p>Thread-safety: not thread-safe; {@link SluiceProducer} calls it under its lock.
 */
final class RecordAccumulator {

  /** What {@link #drain} took: batches to send now, and batches that ran out of time. */
  record Drained(List<ProducerBatch> ready, List<ProducerBatch> expired) {}

  private record Partition(String topic, int partition) {}

  private static final class Queue {
    final ArrayDeque<ProducerBatch> batches = new ArrayDeque<>();
    int inFlight;
  }

  /** A topic's current partition for null-key records, and the batch they go into. */
  private record Sticky(int partitions, int partition, ProducerBatch batch) {}

  private final int batchBytes;
  private final long lingerNanos;
  private final int maxInFlight;
  private final long deliveryTimeoutNanos;

  private final Map<Partition, Queue> queues = new HashMap<>();

  /** The queues in the order they were first used, drained round-robin from {@link #nextDrain}. */
  private final List<Queue> drainOrder = new ArrayList<>();

  private int nextDrain;
  private final Map<String, Sticky> sticky = new HashMap<>();
  private final Set<ProducerBatch> incomplete = new LinkedHashSet<>();

  RecordAccumulator(int batchBytes, long lingerNanos, int maxInFlight, long deliveryTimeoutNanos) {
    this.batchBytes = batchBytes;
    this.lingerNanos = lingerNanos;
    this.maxInFlight = maxInFlight;
    this.deliveryTimeoutNanos = deliveryTimeoutNanos;
  }

  /**
   * Adds a record to the last open batch of its partition, or to a new batch when it does not fit.
   * A record larger than {@code batchBytes} gets a batch of its own. Sizes are those of the encoded
   * batch ({@link ProducerBatch#bytes}).
   *
   * @param reserved the buffer memory the producer took for the record
   * @return the batch the record went into
   */
  ProducerBatch append(
      String topic,
      int partition,
      Record record,
      int reserved,
      CompletableFuture<RecordMetadata> future,
      long nowNanos) {
    Queue queue = queue(topic, partition);
    ProducerBatch last = queue.batches.peekLast();
    if (last == null || !last.hasRoomFor(record, batchBytes)) {
      if (last != null) {
        last.close();
      }
      last = new ProducerBatch(topic, partition, nowNanos);
      queue.batches.addLast(last);
      incomplete.add(last);
    }
    last.add(record, reserved, future);
    if (last.bytes() >= batchBytes) {
      last.close();
    }
    return last;
  }

  /**
   * The partition for a null-key record: the topic's sticky partition while the batch its null-key
   * records went into is open and has room; otherwise a new one, chosen by {@code randomBelow} and
   * different from the last one when there are several. This is Kafka's sticky partitioning,
   * switched per batch: records without a key fill whole batches, and successive batches spread
   * over the partitions.
   *
   * @param randomBelow given n, a number in [0, n)
   */
  int stickyPartition(String topic, int partitions, Record record, IntUnaryOperator randomBelow) {
    Sticky current = sticky.get(topic);
    if (current != null
        && current.partitions() == partitions
        && (current.batch() == null || current.batch().hasRoomFor(record, batchBytes))) {
      return current.partition();
    }
    int partition = randomBelow.applyAsInt(partitions);
    if (current != null && partitions > 1 && partition == current.partition()) {
      partition = (partition + 1 + randomBelow.applyAsInt(partitions - 1)) % partitions;
    }
    sticky.put(topic, new Sticky(partitions, partition, null));
    return partition;
  }

  /** Remembers the batch a null-key record went into, so the partition switches when it closes. */
  void stuckTo(String topic, ProducerBatch batch) {
    Sticky current = sticky.get(topic);
    if (current != null && current.partition() == batch.partition) {
      sticky.put(topic, new Sticky(current.partitions(), current.partition(), batch));
    }
  }

  /**
   * Takes the ready batches, round-robin over the partitions, at most {@code maxBatches} of them
   * and at most {@code maxInFlight} in flight per partition, and removes the expired ones. Taken
   * batches are closed and count as in flight until {@link #completed} or {@link #retry}.
   *
   * @param flushing whether every batch is ready regardless of linger (flush or close)
   */
  Drained drain(long nowNanos, int maxBatches, boolean flushing) {
    List<ProducerBatch> expired = new ArrayList<>();
    for (Queue queue : drainOrder) {
      // Batches are queued oldest first (a retried one is older than those behind it).
      while (!queue.batches.isEmpty() && isExpired(queue.batches.peekFirst(), nowNanos)) {
        ProducerBatch batch = queue.batches.pollFirst();
        batch.close();
        incomplete.remove(batch);
        expired.add(batch);
      }
    }
    List<ProducerBatch> ready = new ArrayList<>();
    int queues = drainOrder.size();
    for (int i = 0; i < queues && ready.size() < maxBatches; i++) {
      Queue queue = drainOrder.get((nextDrain + i) % queues);
      while (ready.size() < maxBatches
          && queue.inFlight < maxInFlight
          && !queue.batches.isEmpty()
          && isReady(queue.batches.peekFirst(), nowNanos, flushing)) {
        ProducerBatch batch = queue.batches.pollFirst();
        batch.close();
        queue.inFlight++;
        ready.add(batch);
      }
    }
    if (queues > 0) {
      nextDrain = (nextDrain + 1) % queues;
    }
    return new Drained(ready, expired);
  }

  /**
   * When the next batch becomes ready or expires, as far as time alone decides it: {@code nowNanos}
   * or earlier when one is ready already, {@link Long#MAX_VALUE} when only an append, a completion,
   * a flush or a close can change anything.
   */
  long nextDeadline(long nowNanos, boolean flushing) {
    long next = Long.MAX_VALUE;
    for (Queue queue : drainOrder) {
      ProducerBatch head = queue.batches.peekFirst();
      if (head == null) {
        continue;
      }
      next = Math.min(next, head.createdNanos + deliveryTimeoutNanos);
      if (queue.inFlight >= maxInFlight) {
        continue;
      }
      if (head.notBeforeNanos() > nowNanos) {
        next = Math.min(next, head.notBeforeNanos());
      } else if (head.closed() || flushing) {
        next = Math.min(next, nowNanos);
      } else {
        next = Math.min(next, head.createdNanos + lingerNanos);
      }
    }
    return next;
  }

  /** A batch in flight is done: acknowledged, or failed for good. */
  void completed(ProducerBatch batch) {
    queue(batch.topic, batch.partition).inFlight--;
    incomplete.remove(batch);
  }

  /** A batch in flight failed and is sent again, before any later batch of its partition. */
  void retry(ProducerBatch batch, long notBeforeNanos, RuntimeException failure) {
    Queue queue = queue(batch.topic, batch.partition);
    queue.inFlight--;
    batch.retryAfter(notBeforeNanos, failure);
    queue.batches.addFirst(batch);
  }

  /** Every batch not done yet: queued, in flight or waiting to be retried. */
  List<ProducerBatch> incomplete() {
    return List.copyOf(incomplete);
  }

  boolean isEmpty() {
    return incomplete.isEmpty();
  }

  boolean isExpired(ProducerBatch batch, long nowNanos) {
    return nowNanos - batch.createdNanos >= deliveryTimeoutNanos;
  }

  private boolean isReady(ProducerBatch batch, long nowNanos, boolean flushing) {
    if (batch.notBeforeNanos() > nowNanos) {
      return false;
    }
    return batch.closed() || flushing || nowNanos - batch.createdNanos >= lingerNanos;
  }

  private Queue queue(String topic, int partition) {
    return queues.computeIfAbsent(
        new Partition(topic, partition),
        p -> {
          Queue queue = new Queue();
          drainOrder.add(queue);
          return queue;
        });
  }
}
