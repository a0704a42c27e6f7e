package dev.sluice.log.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.BatchHeader;
import dev.sluice.log.producer.ProducerStateTable.Append;
import dev.sluice.log.producer.ProducerStateTable.Duplicate;
import dev.sluice.log.producer.ProducerStateTable.ProducerBatch;
import dev.sluice.log.producer.ProducerStateTable.ProducerState;
import dev.sluice.log.producer.ProducerStateTable.Refused;
import dev.sluice.log.producer.ProducerStateTable.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The producer rules of a partition, one test per row of the table in the class comment. */
class ProducerStateTableTest {
  private static final long PID = 1000;
  private static final short EPOCH = 3;
  private static final long T0 = 1_767_225_600_000L;

  private final ProducerStateTable table = new ProducerStateTable(Duration.ofHours(1));
  private long nextOffset = 0;

  /** Records a batch of {@code count} records from {@code firstSeq} at the next offsets. */
  private void write(long pid, short epoch, int firstSeq, int count) {
    write(pid, epoch, firstSeq, count, T0);
  }

  private void write(long pid, short epoch, int firstSeq, int count, long timestamp) {
    int lastSeq = BatchHeader.incrementSequence(firstSeq, count - 1);
    table.update(pid, epoch, firstSeq, lastSeq, nextOffset, nextOffset + count - 1, timestamp);
    nextOffset += count;
  }

  private Verdict check(long pid, short epoch, int firstSeq, int count) {
    return table.check(pid, epoch, firstSeq, BatchHeader.incrementSequence(firstSeq, count - 1));
  }

  private static Refused refused(Verdict v, ProducerError error) {
    Refused r = assertInstanceOf(Refused.class, v);
    assertEquals(error, r.error());
    return r;
  }

  @Test
  void aBatchWithoutProducerIdIsNeverChecked() {
    assertInstanceOf(Append.class, table.check(-1, (short) -1, -1, -1));
    table.update(-1, (short) -1, -1, -1, 0, 4, T0);
    assertEquals(0, table.size());
  }

  @Test
  void anUnknownProducerStartingAtSequenceZeroIsAppended() {
    assertInstanceOf(Append.class, check(PID, EPOCH, 0, 3));
  }

  @Test
  void anUnknownProducerNotStartingAtZeroIsRefusedAsUnknown() {
    Refused r = refused(check(PID, EPOCH, 5, 1), ProducerError.UNKNOWN_PRODUCER_ID);
    assertEquals(OptionalInt.empty(), r.expectedSequence());
    // Another producer's entry does not make this one known.
    write(PID + 1, EPOCH, 0, 5);
    refused(check(PID, EPOCH, 5, 1), ProducerError.UNKNOWN_PRODUCER_ID);
  }

  @Test
  void anOlderEpochIsFenced() {
    write(PID, EPOCH, 0, 2);
    Refused r = refused(check(PID, (short) (EPOCH - 1), 2, 1), ProducerError.PRODUCER_FENCED);
    assertTrue(r.reason().contains("newer producer epoch " + EPOCH), r.reason());
    // Even a retry of a kept batch's sequences is fenced under the older epoch.
    refused(check(PID, (short) (EPOCH - 1), 0, 2), ProducerError.PRODUCER_FENCED);
  }

  @Test
  void aNewerEpochMustStartAtSequenceZero() {
    write(PID, EPOCH, 0, 2);
    Refused r = refused(check(PID, (short) (EPOCH + 1), 2, 1), ProducerError.OUT_OF_ORDER_SEQUENCE);
    assertEquals(OptionalInt.of(0), r.expectedSequence());
    assertInstanceOf(Append.class, check(PID, (short) (EPOCH + 1), 0, 1));
  }

  @Test
  void aNewerEpochRestartsTheEntry() {
    write(PID, EPOCH, 0, 2);
    write(PID, (short) (EPOCH + 1), 0, 1);
    ProducerState s = table.get(PID).orElseThrow();
    assertEquals(EPOCH + 1, s.producerEpoch());
    assertEquals(List.of(new ProducerBatch(0, 0, 2, 2, T0)), s.batches());
    // The old epoch's batch (0..1) is no longer a duplicate: the producer is fenced for it.
    refused(check(PID, EPOCH, 0, 2), ProducerError.PRODUCER_FENCED);
  }

  @Test
  void aRetryOfAKeptBatchIsADuplicateWithItsOffsets() {
    write(PID, EPOCH, 0, 2); // offsets 0..1
    write(PID, EPOCH, 2, 3); // offsets 2..4
    write(PID, EPOCH, 5, 1); // offset 5
    Duplicate d = assertInstanceOf(Duplicate.class, check(PID, EPOCH, 2, 3));
    assertEquals(new ProducerBatch(2, 4, 2, 4, T0), d.original());
    Duplicate last = assertInstanceOf(Duplicate.class, check(PID, EPOCH, 5, 1));
    assertEquals(5, last.original().baseOffset());
  }

  @Test
  void aBatchOverlappingAKeptOneWithOtherBoundsIsOutOfOrder() {
    write(PID, EPOCH, 0, 3); // sequences 0..2
    Refused r = refused(check(PID, EPOCH, 0, 2), ProducerError.OUT_OF_ORDER_SEQUENCE);
    assertEquals(OptionalInt.of(3), r.expectedSequence());
    refused(check(PID, EPOCH, 1, 2), ProducerError.OUT_OF_ORDER_SEQUENCE);
  }

  @Test
  void theNextSequenceIsAppended() {
    write(PID, EPOCH, 0, 3);
    assertInstanceOf(Append.class, check(PID, EPOCH, 3, 10));
  }

  @Test
  void aGapIsOutOfOrderWithTheExpectedSequence() {
    write(PID, EPOCH, 0, 3);
    Refused r = refused(check(PID, EPOCH, 4, 1), ProducerError.OUT_OF_ORDER_SEQUENCE);
    assertEquals(OptionalInt.of(3), r.expectedSequence());
    assertTrue(r.reason().contains("expected base sequence 3"), r.reason());
  }

  @Test
  void sequencesWrapFromMaxValueToZero() {
    write(PID, EPOCH, 0, 1);
    // A producer that has sent about 2^31 records: its entry is just below the wrap.
    table.update(
        PID, EPOCH, Integer.MAX_VALUE - 2, Integer.MAX_VALUE - 1, nextOffset, nextOffset + 1, T0);
    nextOffset += 2;
    assertEquals(Integer.MAX_VALUE, table.get(PID).orElseThrow().nextSequence());
    // A batch of 3 from MAX_VALUE ends at sequence 1.
    assertInstanceOf(Append.class, check(PID, EPOCH, Integer.MAX_VALUE, 3));
    write(PID, EPOCH, Integer.MAX_VALUE, 3);
    assertEquals(new ProducerBatch(Integer.MAX_VALUE, 1, 3, 5, T0), table.get(PID).get().last());
    assertEquals(2, table.get(PID).get().nextSequence());
    assertInstanceOf(Append.class, check(PID, EPOCH, 2, 1));
    // The wrapped batch is recognised as a retry; a batch from 0 again is neither kept nor next.
    assertInstanceOf(Duplicate.class, check(PID, EPOCH, Integer.MAX_VALUE, 3));
    Refused r = refused(check(PID, EPOCH, 0, 2), ProducerError.OUT_OF_ORDER_SEQUENCE);
    assertEquals(OptionalInt.of(2), r.expectedSequence());
  }

  @Test
  void aBatchEndingExactlyAtMaxValueIsFollowedByZero() {
    table.update(PID, EPOCH, Integer.MAX_VALUE - 1, Integer.MAX_VALUE, 0, 1, T0);
    assertInstanceOf(Append.class, check(PID, EPOCH, 0, 1));
    refused(check(PID, EPOCH, Integer.MAX_VALUE, 1), ProducerError.OUT_OF_ORDER_SEQUENCE);
  }

  @Test
  void onlyTheLastFiveBatchesAreDuplicates() {
    for (int i = 0; i < 6; i++) {
      write(PID, EPOCH, i * 2, 2); // sequences 0..1, 2..3, ..., 10..11
    }
    ProducerState s = table.get(PID).orElseThrow();
    assertEquals(ProducerStateTable.BATCHES_KEPT, s.batches().size());
    assertEquals(2, s.batches().get(0).firstSequence());
    for (int i = 1; i < 6; i++) {
      Duplicate d = assertInstanceOf(Duplicate.class, check(PID, EPOCH, i * 2, 2));
      assertEquals(i * 2L, d.original().baseOffset());
    }
    // The sixth-oldest batch was forgotten: its retry is out of order, not a duplicate.
    Refused r = refused(check(PID, EPOCH, 0, 2), ProducerError.OUT_OF_ORDER_SEQUENCE);
    assertEquals(OptionalInt.of(12), r.expectedSequence());
  }

  @Test
  void producersAreIndependent() {
    write(PID, EPOCH, 0, 2);
    write(PID + 1, (short) 0, 0, 1);
    assertInstanceOf(Append.class, check(PID, EPOCH, 2, 1));
    assertInstanceOf(Append.class, check(PID + 1, (short) 0, 1, 1));
    assertInstanceOf(Duplicate.class, check(PID + 1, (short) 0, 0, 1));
  }

  @Test
  void anEntryExpiresWhenItsLastTimestampIsOlderThanTheExpiration() {
    write(PID, EPOCH, 0, 1, T0);
    write(PID, EPOCH, 1, 1, T0 + 10_000);
    write(PID + 1, EPOCH, 0, 1, T0);
    long hour = Duration.ofHours(1).toMillis();
    assertEquals(0, table.expire(T0 + hour)); // exactly the expiration: still alive
    assertEquals(1, table.expire(T0 + hour + 1));
    assertTrue(table.get(PID + 1).isEmpty());
    assertEquals(T0 + 10_000, table.get(PID).orElseThrow().lastTimestamp());
    assertEquals(1, table.expire(T0 + 10_000 + hour + 1));
    assertEquals(0, table.size());
    // An expired producer is unknown again.
    refused(check(PID, EPOCH, 2, 1), ProducerError.UNKNOWN_PRODUCER_ID);
    assertInstanceOf(Append.class, check(PID, EPOCH, 0, 1));
  }

  @Test
  void theLastTimestampNeverMovesBack() {
    write(PID, EPOCH, 0, 1, T0 + 5);
    write(PID, EPOCH, 1, 1, T0);
    assertEquals(T0 + 5, table.get(PID).orElseThrow().lastTimestamp());
  }

  @Test
  void theDefaultExpirationIsSevenDays() {
    ProducerStateTable defaults = new ProducerStateTable();
    defaults.update(PID, EPOCH, 0, 0, 0, 0, T0);
    long week = Duration.ofDays(7).toMillis();
    assertEquals(0, defaults.expire(T0 + week));
    assertEquals(1, defaults.expire(T0 + week + 1));
  }

  @Test
  void aNonPositiveExpirationIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ProducerStateTable(Duration.ZERO));
  }

  @Test
  void theProducersATruncationChangesAreThoseWithABatchAtOrAboveTheCut() {
    write(PID, EPOCH, 0, 2); // 0..1
    write(PID + 1, EPOCH, 0, 2); // 2..3
    write(PID, EPOCH, 2, 2); // 4..5
    assertEquals(Set.of(PID), table.producersWithBatchesFrom(5));
    assertEquals(Set.of(PID), table.producersWithBatchesFrom(4));
    assertEquals(Set.of(PID, PID + 1), table.producersWithBatchesFrom(3));
    assertEquals(Set.of(), table.producersWithBatchesFrom(6));
  }

  @Test
  void aStateHandedOutDoesNotChange() {
    write(PID, EPOCH, 0, 1);
    ProducerState before = table.get(PID).orElseThrow();
    write(PID, EPOCH, 1, 1);
    assertEquals(1, before.batches().size());
    assertEquals(2, table.get(PID).orElseThrow().batches().size());
  }
}
