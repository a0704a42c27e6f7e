package dev.sluice.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.BatchLayout;
import dev.sluice.format.Compression;
import dev.sluice.format.Header;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The batching rules with plain numbers for the time: size, linger, in-flight limit, retries. */
class RecordAccumulatorTest {

  private static final long LINGER = 5_000_000;
  private static final long DELIVERY_TIMEOUT = 1_000_000_000;

  private static final long TIMESTAMP = 1_764_460_800_000L;

  /** A 100-byte value without key or headers. */
  private static final Record HUNDRED = Record.of(null, new byte[100], TIMESTAMP);

  /** What {@link #HUNDRED} adds to a batch whose records share its timestamp. */
  private static final int HUNDRED_SIZE = MemoryBatchBuilder.sizeOfRecord(HUNDRED, TIMESTAMP, 0);

  /** The encoded size of a batch of {@code n} {@link #HUNDRED}s. */
  private static int batchOf(int n) {
    return BatchLayout.HEADER_BYTES + n * HUNDRED_SIZE;
  }

  /** The buffer memory the producer reserves for a record: its encoding in a batch. */
  private static int size(Record record) {
    return MemoryBatchBuilder.sizeOfRecord(record, record.timestamp(), 0);
  }

  private static ProducerBatch append(RecordAccumulator acc, int partition, long now) {
    return acc.append("t", partition, HUNDRED, HUNDRED_SIZE, new CompletableFuture<>(), now);
  }

  @Test
  void aBatchCountsTheExactBytesOfItsRequestBody() {
    Record record =
        new Record(
            "k".getBytes(UTF_8),
            new byte[300],
            List.of(new Header("trace", new byte[] {1, 2}), new Header("n", null)),
            TIMESTAMP - 100_000);
    RecordAccumulator acc = new RecordAccumulator(1 << 20, LINGER, 1, DELIVERY_TIMEOUT, false);
    ProducerBatch batch = acc.append("t", 0, record, size(record), new CompletableFuture<>(), 0);
    acc.append("t", 0, HUNDRED, HUNDRED_SIZE, new CompletableFuture<>(), 0);

    batch.close();
    assertEquals(
        MemoryBatchBuilder.build(batch.records(), Compression.NONE).remaining(), batch.bytes());
    assertEquals(batch.bytes(), batch.encoded().remaining());
    // length 2, attributes 1, timestamp delta 1, offset delta 1, key length 1, value length 2,
    // value 100, header count 1
    assertEquals(2 + 1 + 1 + 1 + 1 + 2 + 100 + 1, HUNDRED_SIZE);
  }

  @Test
  void aBatchThatReachesBatchBytesIsReadyAtOnceAndTheNextRecordStartsAnother() {
    int batchBytes = batchOf(3);
    RecordAccumulator acc = new RecordAccumulator(batchBytes, LINGER, 1, DELIVERY_TIMEOUT, false);

    ProducerBatch first = append(acc, 0, 0);
    assertSame(first, append(acc, 0, 0));
    assertEquals(
        List.of(), acc.drain(0, 10, false, null).ready(), "two records, linger not passed");
    assertSame(first, append(acc, 0, 0));
    ProducerBatch second = append(acc, 0, 0);

    assertEquals(3, first.recordCount());
    assertEquals(batchBytes, first.bytes());
    assertEquals(List.of(first), acc.drain(0, 10, false, null).ready(), "full: no linger");
    assertEquals(1, second.recordCount());
  }

  @Test
  void aBatchBelowBatchBytesWaitsForLingerFromItsFirstRecord() {
    RecordAccumulator acc = new RecordAccumulator(1 << 20, LINGER, 1, DELIVERY_TIMEOUT, false);
    ProducerBatch batch = append(acc, 0, 1000);
    append(acc, 0, 1000 + LINGER - 1);

    assertEquals(1000 + LINGER, acc.nextDeadline(1000, false, false));
    assertEquals(List.of(), acc.drain(1000 + LINGER - 1, 10, false, null).ready());
    assertEquals(List.of(batch), acc.drain(1000 + LINGER, 10, false, null).ready());
    assertEquals(2, batch.recordCount());
    assertTrue(batch.closed(), "a drained batch takes no more records");
  }

  @Test
  void aFlushMakesEveryBatchReadyBeforeItsLinger() {
    RecordAccumulator acc = new RecordAccumulator(1 << 20, LINGER, 1, DELIVERY_TIMEOUT, false);
    ProducerBatch p0 = append(acc, 0, 0);
    ProducerBatch p1 = append(acc, 1, 0);

    assertEquals(0, acc.nextDeadline(0, true, false));
    List<ProducerBatch> ready = acc.drain(0, 10, true, null).ready();

    assertEquals(2, ready.size());
    assertTrue(ready.containsAll(List.of(p0, p1)));
  }

  @Test
  void aRecordLargerThanBatchBytesIsSentAloneInABatchOfItsOwn() {
    RecordAccumulator acc =
        new RecordAccumulator(batchOf(1) + 40, LINGER, 1, DELIVERY_TIMEOUT, false);
    Record big = Record.of(null, new byte[1000], TIMESTAMP);
    ProducerBatch small = append(acc, 0, 0);

    ProducerBatch alone = acc.append("t", 0, big, size(big), new CompletableFuture<>(), 0);
    ProducerBatch after = append(acc, 0, 0);

    assertNotEquals(small, alone);
    assertEquals(1, alone.recordCount());
    assertTrue(alone.closed());
    assertNotEquals(alone, after);
  }

  @Test
  void aPartitionHasAtMostMaxInFlightBatchesInFlightAndTheOthersWait() {
    RecordAccumulator acc = new RecordAccumulator(1 << 20, 0, 1, DELIVERY_TIMEOUT, false);
    ProducerBatch first = append(acc, 0, 0);
    assertEquals(List.of(first), acc.drain(0, 10, false, null).ready());
    ProducerBatch second = append(acc, 0, 0);
    ProducerBatch other = append(acc, 1, 0);

    assertEquals(List.of(other), acc.drain(0, 10, false, null).ready(), "partition 0 is busy");
    acc.completed(first, true);
    assertEquals(List.of(second), acc.drain(0, 10, false, null).ready());
  }

  @Test
  void aRetriedBatchGoesBeforeLaterBatchesOfItsPartitionAfterItsBackoff() {
    RecordAccumulator acc = new RecordAccumulator(1 << 20, 0, 1, DELIVERY_TIMEOUT, false);
    ProducerBatch first = append(acc, 0, 0);
    acc.drain(0, 10, false, null);
    ProducerBatch second = append(acc, 0, 10);

    acc.retry(first, 500, new SluiceClientException(503, "leader moved", null));

    assertEquals(500, acc.nextDeadline(100, false, false));
    assertEquals(List.of(), acc.drain(499, 10, false, null).ready(), "backoff, and second waits");
    assertEquals(List.of(first), acc.drain(500, 10, false, null).ready());
    acc.completed(first, true);
    assertEquals(List.of(second), acc.drain(500, 10, false, null).ready());
  }

  @Test
  void batchesWaitingPastTheDeliveryTimeoutExpire() {
    RecordAccumulator acc = new RecordAccumulator(1 << 20, LINGER, 1, DELIVERY_TIMEOUT, false);
    ProducerBatch inFlight = append(acc, 0, 0);
    acc.drain(LINGER, 10, false, null);
    ProducerBatch waiting = append(acc, 0, 10);

    assertEquals(10 + DELIVERY_TIMEOUT, acc.nextDeadline(LINGER, false, false));
    RecordAccumulator.Drained drained = acc.drain(10 + DELIVERY_TIMEOUT, 10, false, null);

    assertEquals(List.of(waiting), drained.expired());
    assertEquals(List.of(), drained.ready());
    assertEquals(List.of(inFlight), acc.incomplete(), "in flight: its answer decides");
  }

  @Test
  void drainTakesAtMostTheFreeRequestSlotsRoundRobinOverPartitions() {
    int batchBytes = batchOf(1);
    RecordAccumulator acc = new RecordAccumulator(batchBytes, LINGER, 5, DELIVERY_TIMEOUT, false);
    ProducerBatch p0a = append(acc, 0, 0);
    ProducerBatch p0b = append(acc, 0, 0);
    ProducerBatch p1 = append(acc, 1, 0);

    assertEquals(List.of(p0a), acc.drain(0, 1, false, null).ready());
    assertEquals(List.of(p1), acc.drain(0, 1, false, null).ready(), "partition 1's turn");
    assertEquals(List.of(p0b), acc.drain(0, 1, false, null).ready());
  }

  @Test
  void nullKeysStickToOnePartitionUntilItsBatchClosesThenSwitch() {
    int batchBytes = batchOf(2);
    RecordAccumulator acc = new RecordAccumulator(batchBytes, LINGER, 1, DELIVERY_TIMEOUT, false);
    int[] random = {2};

    int first = acc.stickyPartition("t", 4, HUNDRED, n -> random[0] % n);
    acc.stuckTo("t", append(acc, first, 0));
    random[0] = 0;
    assertEquals(first, acc.stickyPartition("t", 4, HUNDRED, n -> random[0] % n));
    acc.stuckTo("t", append(acc, first, 0)); // the batch is now full

    random[0] = 2; // would pick the same partition again: the next one is taken instead
    int second = acc.stickyPartition("t", 4, HUNDRED, n -> random[0] % n);

    assertEquals(2, first);
    assertNotEquals(first, second);
  }
}
