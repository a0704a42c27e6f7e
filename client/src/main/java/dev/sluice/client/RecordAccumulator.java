package dev.sluice.client;

import dev.sluice.api.ProducerIdResponse;
import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.Compression;
import dev.sluice.format.Record;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 * a batch that failed and will be retried goes back among the partition's batches in the order of
 * its {@link ProducerBatch#ordinal} (the order they were first sent in), ahead of every batch not
 * sent yet; a batch being resent goes out only when none of its partition's batches is in flight,
 * so that retried batches reach the leader one at a time and in their first order, before any new
 * one.
 *
 * <p>Idempotence: each partition has a session, a producer id and epoch with the next sequence.
 * When a batch is first taken for sending it gets the session's next sequence, which then advances
 * by the batch's record count (wrapping from {@link Integer#MAX_VALUE} to 0); a partition without a
 * session starts one at sequence 0 from the producer id {@link #drain} is given, and sends nothing
 * new until it has one. {@link #resetSession} ends a session whose sequences the leader refused.
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

    /** Batches with an identity, not done yet (in flight or waiting to be resent), by ordinal. */
    final TreeMap<Long, ProducerBatch> outstanding = new TreeMap<>();

    /**
     * Base sequences of the session's last acknowledged batches, newest last, at most {@link
     * #ACKNOWLEDGED_KEPT}: a batch the leader refused because it read it before one of these (they
     * travel on separate connections) is resent, not taken for a lost batch.
     */
    final ArrayDeque<Integer> acknowledged = new ArrayDeque<>();

    long nextOrdinal;
    long producerId = BatchLayout.NO_PRODUCER_ID;
    short producerEpoch = BatchLayout.NO_PRODUCER_EPOCH;
    int nextSequence;
  }

  /** How many acknowledged batches a partition's session remembers ({@code Queue#acknowledged}). */
  static final int ACKNOWLEDGED_KEPT = 16;

  /** A topic's current partition for null-key records, and the batch they go into. */
  private record Sticky(int partitions, int partition, ProducerBatch batch) {}

  private final int batchBytes;
  private final long lingerNanos;
  private final int maxInFlight;
  private final long deliveryTimeoutNanos;
  private final boolean idempotent;
  private final Compression compression;

  private final Map<Partition, Queue> queues = new HashMap<>();

  /** The queues in the order they were first used, drained round-robin from {@link #nextDrain}. */
  private final List<Queue> drainOrder = new ArrayList<>();

  private int nextDrain;
  private final Map<String, Sticky> sticky = new HashMap<>();
  private final Set<ProducerBatch> incomplete = new LinkedHashSet<>();

  RecordAccumulator(
      int batchBytes,
      long lingerNanos,
      int maxInFlight,
      long deliveryTimeoutNanos,
      boolean idempotent) {
    this(batchBytes, lingerNanos, maxInFlight, deliveryTimeoutNanos, idempotent, Compression.NONE);
  }

  /** With batches whose records travel compressed with {@code compression}. */
  RecordAccumulator(
      int batchBytes,
      long lingerNanos,
      int maxInFlight,
      long deliveryTimeoutNanos,
      boolean idempotent,
      Compression compression) {
    this.batchBytes = batchBytes;
    this.lingerNanos = lingerNanos;
    this.maxInFlight = maxInFlight;
    this.deliveryTimeoutNanos = deliveryTimeoutNanos;
    this.idempotent = idempotent;
    this.compression = compression;
  }

  /**
   * Adds a record to the last open batch of its partition, or to a new batch when it does not fit.
   * A record larger than {@code batchBytes} gets a batch of its own. Sizes are those of the encoded
   * batch before compression ({@link ProducerBatch#bytes}).
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
      last = new ProducerBatch(topic, partition, nowNanos, compression);
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
   * batches are closed and count as in flight until {@link #completed} or {@link #retry}; a batch
   * taken for the first time gets its identity ({@link ProducerBatch#assign}).
   *
   * @param flushing whether every batch is ready regardless of linger (flush or close)
   * @param newSessions the producer id a partition without a session starts one with; null when
   *     there is none to use (not fetched yet, or refused): such partitions send nothing new
   */
  Drained drain(long nowNanos, int maxBatches, boolean flushing, ProducerIdResponse newSessions) {
    List<ProducerBatch> expired = new ArrayList<>();
    for (Queue queue : drainOrder) {
      // Batches are queued oldest first (a retried one is older than those behind it).
      while (!queue.batches.isEmpty() && isExpired(queue.batches.peekFirst(), nowNanos)) {
        ProducerBatch batch = queue.batches.pollFirst();
        batch.close();
        incomplete.remove(batch);
        queue.outstanding.remove(batch.ordinal());
        expired.add(batch);
      }
    }
    List<ProducerBatch> ready = new ArrayList<>();
    int queues = drainOrder.size();
    for (int i = 0; i < queues && ready.size() < maxBatches; i++) {
      Queue queue = drainOrder.get((nextDrain + i) % queues);
      while (ready.size() < maxBatches
          && !queue.batches.isEmpty()
          && canSend(queue, newSessions != null)
          && isReady(queue.batches.peekFirst(), nowNanos, flushing)) {
        ProducerBatch batch = queue.batches.pollFirst();
        batch.close();
        if (!batch.assigned()) {
          assign(queue, batch, newSessions);
        }
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
   * Whether the queue's head may go now as far as the in-flight rules go: below {@code
   * maxInFlight}; a batch being resent only while nothing else of its partition is in flight; a
   * batch never sent only when its partition has a session or one can be started.
   */
  private boolean canSend(Queue queue, boolean canStartSession) {
    ProducerBatch head = queue.batches.peekFirst();
    if (head == null || queue.inFlight >= maxInFlight) {
      return false;
    }
    if (head.attempts() > 0 && queue.inFlight > 0) {
      return false;
    }
    return head.assigned()
        || !idempotent
        || queue.producerId != BatchLayout.NO_PRODUCER_ID
        || canStartSession;
  }

  /** The batch's ordinal and, when idempotent, its session's next sequence. */
  private void assign(Queue queue, ProducerBatch batch, ProducerIdResponse newSession) {
    long ordinal = queue.nextOrdinal++;
    if (!idempotent) {
      batch.assign(ordinal, BatchLayout.NO_PRODUCER_ID, BatchLayout.NO_PRODUCER_EPOCH, -1);
    } else {
      if (queue.producerId == BatchLayout.NO_PRODUCER_ID) {
        queue.producerId = newSession.producerId();
        queue.producerEpoch = newSession.producerEpoch();
        queue.nextSequence = 0;
        queue.acknowledged.clear();
      }
      int sequence = queue.nextSequence;
      queue.nextSequence = nextSequence(sequence, batch.recordCount());
      batch.assign(ordinal, queue.producerId, queue.producerEpoch, sequence);
    }
    queue.outstanding.put(ordinal, batch);
  }

  /** The sequence after a batch of {@code records} starting at {@code sequence}: mod 2^31. */
  static int nextSequence(int sequence, int records) {
    return BatchHeader.incrementSequence(sequence, records);
  }

  /**
   * When the next batch becomes ready or expires, as far as time alone decides it: {@code nowNanos}
   * or earlier when one is ready already, {@link Long#MAX_VALUE} when only an append, a completion,
   * a flush or a close can change anything.
   *
   * @param canStartSession whether {@link #drain} is given a producer id for new sessions
   */
  long nextDeadline(long nowNanos, boolean flushing, boolean canStartSession) {
    long next = Long.MAX_VALUE;
    for (Queue queue : drainOrder) {
      ProducerBatch head = queue.batches.peekFirst();
      if (head == null) {
        continue;
      }
      next = Math.min(next, head.createdNanos + deliveryTimeoutNanos);
      if (!canSend(queue, canStartSession)) {
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
  void completed(ProducerBatch batch, boolean acknowledged) {
    Queue queue = queue(batch.topic, batch.partition);
    queue.inFlight--;
    queue.outstanding.remove(batch.ordinal());
    incomplete.remove(batch);
    if (acknowledged
        && batch.producerId() != BatchLayout.NO_PRODUCER_ID
        && batch.producerId() == queue.producerId) {
      queue.acknowledged.addLast(batch.baseSequence());
      if (queue.acknowledged.size() > ACKNOWLEDGED_KEPT) {
        queue.acknowledged.removeFirst();
      }
    }
  }

  /**
   * A batch taken for sending failed for good without being sent (its body was over the size
   * limit). When it is the last batch its session gave a sequence to, the session takes that
   * sequence back: the leader never saw it, and the partition's next batch would otherwise leave a
   * gap the leader refuses as out of order, ending the session. Later batches already holding
   * sequences after it cannot be renumbered (their bytes are fixed), so then the gap stays.
   */
  void completedUnsent(ProducerBatch batch) {
    Queue queue = queue(batch.topic, batch.partition);
    if (batch.producerId() != BatchLayout.NO_PRODUCER_ID
        && queue.producerId == batch.producerId()
        && queue.nextSequence == nextSequence(batch.baseSequence(), batch.recordCount())) {
      queue.nextSequence = batch.baseSequence();
    }
    completed(batch, false);
  }

  /**
   * A batch in flight failed and is sent again: after its partition's batches that were first sent
   * before it and wait to be resent too, before every other batch of its partition.
   */
  void retry(ProducerBatch batch, long notBeforeNanos, RuntimeException failure) {
    Queue queue = queue(batch.topic, batch.partition);
    queue.inFlight--;
    batch.retryAfter(notBeforeNanos, failure);
    ArrayDeque<ProducerBatch> earlier = new ArrayDeque<>();
    while (!queue.batches.isEmpty()
        && queue.batches.peekFirst().assigned()
        && queue.batches.peekFirst().ordinal() < batch.ordinal()) {
      earlier.addFirst(queue.batches.pollFirst());
    }
    queue.batches.addFirst(batch);
    for (ProducerBatch b : earlier) {
      queue.batches.addFirst(b);
    }
  }

  /**
   * Whether a batch of {@code batch}'s partition and session, first sent before it, starts at
   * {@code sequence} and is either not done yet (a resend will bring it) or was acknowledged since
   * (the leader read {@code batch} first, on another connection): the batch the leader waited for
   * when it refused {@code batch} as out of order.
   */
  boolean earlierOutstandingStartsAt(ProducerBatch batch, long sequence) {
    Queue queue = queue(batch.topic, batch.partition);
    for (ProducerBatch earlier : queue.outstanding.headMap(batch.ordinal()).values()) {
      if (earlier.producerId() == batch.producerId() && earlier.baseSequence() == sequence) {
        return true;
      }
    }
    // Acknowledged meanwhile: the leader holds it now, so a resend of this batch fits after it.
    return batch.producerId() == queue.producerId
        && sequence != batch.baseSequence()
        && queue.acknowledged.contains((int) sequence);
  }

  /** Whether {@code batch} carries its partition's current session (producer id). */
  boolean inCurrentSession(ProducerBatch batch) {
    return queue(batch.topic, batch.partition).producerId == batch.producerId();
  }

  /**
   * Ends the session of {@code refused}'s partition if {@code refused} belongs to it: the partition
   * starts a new one, from sequence 0, with the next producer id {@link #drain} is given. Removes
   * and returns the batches of the ended session that wait to be resent (the caller fails them);
   * those in flight fail when they come back ({@link #inCurrentSession} is false for them).
   *
   * @return null when the session had already ended, else the removed batches (maybe none)
   */
  List<ProducerBatch> resetSession(ProducerBatch refused) {
    Queue queue = queue(refused.topic, refused.partition);
    if (queue.producerId != refused.producerId()) {
      return null;
    }
    queue.producerId = BatchLayout.NO_PRODUCER_ID;
    queue.producerEpoch = BatchLayout.NO_PRODUCER_EPOCH;
    queue.nextSequence = 0;
    queue.acknowledged.clear();
    List<ProducerBatch> removed = new ArrayList<>();
    queue.batches.removeIf(
        b -> {
          if (b.assigned() && b.producerId() == refused.producerId()) {
            removed.add(b);
            return true;
          }
          return false;
        });
    for (ProducerBatch b : removed) {
      queue.outstanding.remove(b.ordinal());
      incomplete.remove(b);
    }
    return removed;
  }

  /**
   * Whether a partition has batches that cannot go until the producer has a producer id for a new
   * session (idempotent producers only).
   */
  boolean needsSession() {
    if (!idempotent) {
      return false;
    }
    for (Queue queue : drainOrder) {
      ProducerBatch head = queue.batches.peekFirst();
      if (head != null && !head.assigned() && queue.producerId == BatchLayout.NO_PRODUCER_ID) {
        return true;
      }
    }
    return false;
  }

  /**
   * Removes and returns the batches that wait for a session that cannot be had (the server refused
   * to give a producer id): every batch never sent of a partition without a session.
   */
  List<ProducerBatch> takeWaitingForSession() {
    List<ProducerBatch> taken = new ArrayList<>();
    for (Queue queue : drainOrder) {
      if (queue.producerId != BatchLayout.NO_PRODUCER_ID) {
        continue;
      }
      queue.batches.removeIf(
          b -> {
            if (!b.assigned()) {
              b.close();
              taken.add(b);
              return true;
            }
            return false;
          });
    }
    incomplete.removeAll(taken);
    return taken;
  }

  /** How many batches wait to be resent, over all partitions (tests). */
  int resendsWaiting() {
    int n = 0;
    for (Queue queue : drainOrder) {
      for (ProducerBatch b : queue.batches) {
        if (b.attempts() > 0) {
          n++;
        }
      }
    }
    return n;
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
