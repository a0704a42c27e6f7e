package dev.sluice.log.producer;

import dev.sluice.format.BatchHeader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The idempotent producers' state of one partition log, derived from the v2 batch headers in the
 * log: for each producer id, its epoch, its last {@link #BATCHES_KEPT} batches (sequences and
 * offsets) and the newest timestamp it wrote. {@link #check} decides whether a leader appends a
 * producer's next batch, answers it as a duplicate or refuses it; {@link #update} records a batch
 * written to the log, on the leader and on a follower alike, so that a table built from the same
 * log holds the same state wherever it is built.
 *
 * <p>The rules of {@link #check} (Kafka's, with one choice made explicit):
 *
 * <pre>
 *  case                                                   outcome
 *  producer id &lt; 0                                        append, no checks
 *  unknown producer id, base sequence 0                   append (starts an entry)
 *  unknown producer id, base sequence != 0                UNKNOWN_PRODUCER_ID
 *  epoch older than the entry's                           PRODUCER_FENCED
 *  epoch newer than the entry's, base sequence 0          append (the entry restarts)
 *  epoch newer than the entry's, base sequence != 0       OUT_OF_ORDER_SEQUENCE, expected 0
 *  same epoch, (first, last) sequence of a kept batch     duplicate of that batch
 *  same epoch, first sequence = entry's last + 1          append
 *  same epoch, anything else                              OUT_OF_ORDER_SEQUENCE, expected last + 1
 * </pre>
 *
 * Sequences wrap from {@link Integer#MAX_VALUE} to 0. An unknown id with a sequence above 0 is
 * refused rather than accepted (Kafka accepts it now): the entry of a producer whose state expired
 * or was lost must never let a retry of an old batch be written a second time.
 *
 * <p>Invariants: every entry holds between 1 and {@link #BATCHES_KEPT} batches of its current
 * epoch, oldest first, with increasing offsets; an entry's last timestamp is the largest {@code
 * maxTimestamp} of the batches recorded for it. Entries are immutable values replaced on each
 * update, so a {@link ProducerState} handed out never changes.
 *
 * <p>Thread-safety: none; the partition log uses it under its write lock.
 */
public final class ProducerStateTable {
  /** Batches remembered per producer: a retry of any of them is answered as a duplicate. */
  public static final int BATCHES_KEPT = 5;

  /**
   * How long an entry lives after its producer's last batch (by the batch timestamps) when the log
   * is not given another duration; {@code sluice.storage.producer-id-expiration} in the plan.
   */
  public static final Duration DEFAULT_PRODUCER_ID_EXPIRATION = Duration.ofDays(7);

  /** One batch of a producer: its sequences and the offsets the log gave it. */
  public record ProducerBatch(
      int firstSequence, int lastSequence, long baseOffset, long lastOffset, long maxTimestamp) {}

  /**
   * What the partition knows of one producer: its epoch, its last batches oldest first (at most
   * {@link #BATCHES_KEPT}) and the newest timestamp of its batches. Immutable.
   */
  public record ProducerState(
      long producerId, short producerEpoch, List<ProducerBatch> batches, long lastTimestamp) {
    public ProducerState {
      batches = List.copyOf(batches);
      if (batches.isEmpty()) {
        throw new IllegalArgumentException("producer " + producerId + " without a batch");
      }
    }

    /** The newest batch. */
    public ProducerBatch last() {
      return batches.get(batches.size() - 1);
    }

    /** The base sequence the producer's next batch must carry. */
    public int nextSequence() {
      return BatchHeader.incrementSequence(last().lastSequence(), 1);
    }
  }

  /** What {@link #check} decided for a batch. */
  public sealed interface Verdict permits Append, Duplicate, Refused {}

  /** Write the batch. */
  public record Append() implements Verdict {}

  /** Write nothing: the batch is a retry of {@code original}, answer with its offsets. */
  public record Duplicate(ProducerBatch original) implements Verdict {}

  /**
   * Write nothing: the batch broke a rule. {@code reason} says what the table expected, without
   * naming the partition (the log adds that).
   */
  public record Refused(ProducerError error, OptionalInt expectedSequence, String reason)
      implements Verdict {}

  private static final Append APPEND = new Append();

  private final long expirationMillis;
  private final Map<Long, ProducerState> entries = new HashMap<>();

  /** A table whose entries expire {@code producerIdExpiration} after their last timestamp. */
  public ProducerStateTable(Duration producerIdExpiration) {
    if (producerIdExpiration.isNegative() || producerIdExpiration.isZero()) {
      throw new IllegalArgumentException(
          "producer id expiration must be positive, got " + producerIdExpiration);
    }
    this.expirationMillis = producerIdExpiration.toMillis();
  }

  /** A table with {@link #DEFAULT_PRODUCER_ID_EXPIRATION}. */
  public ProducerStateTable() {
    this(DEFAULT_PRODUCER_ID_EXPIRATION);
  }

  /** {@link #check(long, short, int, int)} with the header's producer fields. */
  public Verdict check(BatchHeader header) {
    return check(
        header.producerId(), header.producerEpoch(), header.baseSequence(), header.lastSequence());
  }

  /** Applies the rules of the class comment to a batch about to be appended; changes nothing. */
  public Verdict check(long producerId, short epoch, int firstSequence, int lastSequence) {
    if (producerId < 0) {
      return APPEND;
    }
    ProducerState entry = entries.get(producerId);
    if (entry == null) {
      if (firstSequence == 0) {
        return APPEND;
      }
      return new Refused(
          ProducerError.UNKNOWN_PRODUCER_ID,
          OptionalInt.empty(),
          "the partition holds no state for the producer id (expired, or never given out), and"
              + " only a batch with base sequence 0 may start it");
    }
    if (epoch < entry.producerEpoch()) {
      return new Refused(
          ProducerError.PRODUCER_FENCED,
          OptionalInt.empty(),
          "the partition holds the newer producer epoch " + entry.producerEpoch());
    }
    if (epoch > entry.producerEpoch()) {
      if (firstSequence == 0) {
        return APPEND;
      }
      return new Refused(
          ProducerError.OUT_OF_ORDER_SEQUENCE,
          OptionalInt.of(0),
          "a new producer epoch (the partition holds "
              + entry.producerEpoch()
              + ") must start at sequence 0");
    }
    for (ProducerBatch b : entry.batches()) {
      if (b.firstSequence() == firstSequence && b.lastSequence() == lastSequence) {
        return new Duplicate(b);
      }
    }
    int expected = entry.nextSequence();
    if (firstSequence == expected) {
      return APPEND;
    }
    ProducerBatch last = entry.last();
    return new Refused(
        ProducerError.OUT_OF_ORDER_SEQUENCE,
        OptionalInt.of(expected),
        "expected base sequence "
            + expected
            + " after the last batch (sequences "
            + last.firstSequence()
            + ".."
            + last.lastSequence()
            + " at offsets "
            + last.baseOffset()
            + ".."
            + last.lastOffset()
            + "), and the batch is not a retry of the last "
            + entry.batches().size()
            + " batches");
  }

  /**
   * Records a batch that is now in the log, with the offsets the log gave it. Batches without a
   * producer id are ignored. A batch of another epoch than the entry's restarts the entry: the
   * leader only writes a newer one, and a follower takes the leader's log as it comes.
   */
  public void update(BatchHeader header) {
    update(
        header.producerId(),
        header.producerEpoch(),
        header.baseSequence(),
        header.lastSequence(),
        header.baseOffset(),
        header.lastOffset(),
        header.maxTimestamp());
  }

  /** {@link #update(BatchHeader)} from the fields of a batch header. */
  public void update(
      long producerId,
      short epoch,
      int firstSequence,
      int lastSequence,
      long baseOffset,
      long lastOffset,
      long maxTimestamp) {
    if (producerId < 0) {
      return;
    }
    ProducerBatch batch =
        new ProducerBatch(firstSequence, lastSequence, baseOffset, lastOffset, maxTimestamp);
    ProducerState entry = entries.get(producerId);
    if (entry == null || entry.producerEpoch() != epoch) {
      entries.put(producerId, new ProducerState(producerId, epoch, List.of(batch), maxTimestamp));
      return;
    }
    List<ProducerBatch> batches = new ArrayList<>(BATCHES_KEPT);
    List<ProducerBatch> kept = entry.batches();
    batches.addAll(kept.subList(Math.max(0, kept.size() - (BATCHES_KEPT - 1)), kept.size()));
    batches.add(batch);
    entries.put(
        producerId,
        new ProducerState(
            producerId, epoch, batches, Math.max(entry.lastTimestamp(), maxTimestamp)));
  }

  /** The state of {@code producerId}, if the table holds one. */
  public Optional<ProducerState> get(long producerId) {
    return Optional.ofNullable(entries.get(producerId));
  }

  /** Every entry (a snapshot, in no particular order). */
  public List<ProducerState> all() {
    return List.copyOf(entries.values());
  }

  public int size() {
    return entries.size();
  }

  /**
   * Drops the entries whose last timestamp is more than the expiration before {@code nowMillis}; a
   * later batch of such a producer needs sequence 0 again ({@link
   * ProducerError#UNKNOWN_PRODUCER_ID} otherwise).
   *
   * @return how many entries were dropped
   */
  public int expire(long nowMillis) {
    int before = entries.size();
    entries.values().removeIf(e -> nowMillis - e.lastTimestamp() > expirationMillis);
    return before - entries.size();
  }

  /**
   * The producers with a batch ending at or above {@code offset}: the entries a truncation to
   * {@code offset} changes. A producer's newest batch is always kept, so an entry whose kept
   * batches all end below {@code offset} has no batch at or above it.
   */
  public Set<Long> producersWithBatchesFrom(long offset) {
    Set<Long> hit = new HashSet<>();
    for (ProducerState e : entries.values()) {
      if (e.last().lastOffset() >= offset) {
        hit.add(e.producerId());
      }
    }
    return hit;
  }

  /**
   * Puts back an entry as a snapshot holds it ({@link ProducerStateSnapshots}), replacing the
   * table's entry for that producer.
   */
  public void restore(ProducerState state) {
    entries.put(state.producerId(), state);
  }

  /** Drops the entry of {@code producerId}, if any. */
  public void remove(long producerId) {
    entries.remove(producerId);
  }

  /** Drops every entry (the log was emptied). */
  public void clear() {
    entries.clear();
  }
}
