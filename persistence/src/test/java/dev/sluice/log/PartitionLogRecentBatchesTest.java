package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.BatchValidator;
import dev.sluice.format.Compression;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batches a leader keeps in memory for its followers ({@link PartitionLog#recentBatches}):
 * exactly the bytes the segment files hold, whole batches within the size asked for, only above the
 * high watermark, only consecutive ones appended from memory, at most {@link
 * RecentBatches#MAX_BYTES}, and none after truncation or close.
 */
class PartitionLogRecentBatchesTest {
  private static final int VALUE_BYTES = 1000;

  @TempDir Path dir;
  private PartitionLog log;

  @BeforeEach
  void open() throws IOException {
    log = PartitionLog.open(dir.resolve("log"), settings(), clock());
  }

  @AfterEach
  void close() throws IOException {
    log.close();
  }

  @Test
  void theKeptBatchesAreTheBytesTheSegmentFilesHold() throws IOException {
    LogTestSupport.appendBatches(log, 5, VALUE_BYTES);

    List<RecentBatch> run = log.recentBatches(1, Long.MAX_VALUE);
    assertEquals(1, first(run));
    assertEquals(4, last(run));
    assertEquals(4, run.size());
    for (RecentBatch batch : run) {
      assertEquals(batch.baseOffset(), batch.lastOffset(), "one record per batch: " + batch);
    }
    assertEquals(LogTestSupport.bytesOf(log.readBatches(1, Long.MAX_VALUE)), concat(run));
  }

  @Test
  void aRunHoldsWholeBatchesWithinTheSizeAskedForAndStartsOnlyAtABatch() throws IOException {
    LogTestSupport.appendBatches(log, 3, VALUE_BYTES);
    long batchBytes = log.readBatches(0, 1).sizeInBytes();

    List<RecentBatch> two = log.recentBatches(0, 2 * batchBytes + batchBytes / 2);
    assertEquals(0, first(two));
    assertEquals(1, last(two));
    assertEquals(2 * batchBytes, concat(two).remaining());
    assertEquals(List.of(), log.recentBatches(0, batchBytes - 1), "first batch too large");
    assertEquals(List.of(), log.recentBatches(3, Long.MAX_VALUE), "the log end");

    log.appendRecords(
        List.of(
            LogTestSupport.record(3, 10),
            LogTestSupport.record(4, 10),
            LogTestSupport.record(5, 10)),
        1);
    assertEquals(List.of(), log.recentBatches(4, Long.MAX_VALUE), "inside a batch");
    assertEquals(5, last(log.recentBatches(3, Long.MAX_VALUE)));
  }

  @Test
  void batchesEveryInSyncFollowerHasAreDropped() throws IOException {
    LogTestSupport.appendBatches(log, 4, VALUE_BYTES);

    log.updateHighWatermark(2);

    assertEquals(List.of(), log.recentBatches(0, Long.MAX_VALUE));
    assertEquals(List.of(), log.recentBatches(1, Long.MAX_VALUE));
    assertEquals(3, last(log.recentBatches(2, Long.MAX_VALUE)));
    log.updateHighWatermark(4);
    assertEquals(List.of(), log.recentBatches(3, Long.MAX_VALUE), "an idle partition");
  }

  @Test
  void theOldestAreDroppedBeyondTheLimit() throws IOException {
    log.close();
    log = largeBatchLog("large");
    int valueBytes = 100 * 1024;
    int batches = (int) (RecentBatches.MAX_BYTES / valueBytes) + 3;
    LogTestSupport.appendBatches(log, batches, valueBytes);

    assertEquals(List.of(), log.recentBatches(0, Long.MAX_VALUE));
    long oldestKept = -1;
    for (long o = 0; o < batches && oldestKept < 0; o++) {
      if (log.recentBatches(o, Long.MAX_VALUE).size() > 0) {
        oldestKept = o;
      }
    }
    List<RecentBatch> kept = log.recentBatches(oldestKept, Long.MAX_VALUE);
    assertEquals(batches - 1, last(kept));
    long keptBytes = concat(kept).remaining();
    assertTrue(keptBytes <= RecentBatches.MAX_BYTES, keptBytes + " bytes kept");
    long oneMore = log.readBatches(oldestKept - 1, 1).sizeInBytes();
    assertTrue(keptBytes + oneMore > RecentBatches.MAX_BYTES, "dropped only what it had to");
    assertEquals(LogTestSupport.bytesOf(log.readBatches(oldestKept, Long.MAX_VALUE)), concat(kept));
  }

  @Test
  void aBatchWrittenAnotherWayStartsTheKeptRunAfresh() throws IOException {
    LogTestSupport.appendBatches(log, 2, VALUE_BYTES);
    PartitionLog source = PartitionLog.open(dir.resolve("source"), settings(), clock());
    try {
      LogTestSupport.appendBatches(source, 3, VALUE_BYTES);
      // A follower's append (the leader's batch bytes as they are): not kept.
      log.appendBatches(LogTestSupport.bytesOf(source.readBatches(2, Long.MAX_VALUE)));
    } finally {
      source.close();
    }
    assertEquals(3, log.logEndOffset());
    assertEquals(List.of(), log.recentBatches(2, Long.MAX_VALUE));

    LogTestSupport.appendBatches(log, 1, VALUE_BYTES);

    assertEquals(List.of(), log.recentBatches(0, Long.MAX_VALUE), "not consecutive");
    assertEquals(3, first(log.recentBatches(3, Long.MAX_VALUE)));
  }

  @Test
  void truncationDropsEveryKeptBatch() throws IOException {
    LogTestSupport.appendBatches(log, 4, VALUE_BYTES);

    log.truncateTo(3);

    assertEquals(List.of(), log.recentBatches(0, Long.MAX_VALUE));
    LogTestSupport.appendBatches(log, 1, VALUE_BYTES);
    List<RecentBatch> after = log.recentBatches(3, Long.MAX_VALUE);
    assertEquals(LogTestSupport.bytesOf(log.readBatches(3, Long.MAX_VALUE)), concat(after));

    log.truncateFullyAndStartAt(10);
    assertEquals(List.of(), log.recentBatches(3, Long.MAX_VALUE));
  }

  @Test
  void aLargeBatchIsNotKept() throws IOException {
    log.close();
    log = largeBatchLog("large");
    LogTestSupport.appendBatches(log, 1, (int) RecentBatches.MAX_BYTES + 1);
    LogTestSupport.appendBatches(log, 1, VALUE_BYTES);

    assertEquals(List.of(), log.recentBatches(0, Long.MAX_VALUE));
    assertEquals(1, first(log.recentBatches(1, Long.MAX_VALUE)));
  }

  @Test
  void logsSharingABudgetKeepNoMoreThanItTogetherAndGiveBackWhatTheyDrop() throws IOException {
    LogTestSupport.appendBatches(log, 1, VALUE_BYTES);
    long batchBytes = log.readBatches(0, 1).sizeInBytes(); // as each batch below
    RecentBatchBudget budget = new RecentBatchBudget(3 * batchBytes);
    PartitionLog a =
        PartitionLog.open(dir.resolve("a"), settings(), clock(), Syncer.FDATASYNC, budget);
    PartitionLog b =
        PartitionLog.open(dir.resolve("b"), settings(), clock(), Syncer.FDATASYNC, budget);
    try {
      LogTestSupport.appendBatches(a, 2, VALUE_BYTES);
      LogTestSupport.appendBatches(b, 2, VALUE_BYTES);
      assertEquals(3 * batchBytes, budget.usedBytes());
      assertEquals(1, last(a.recentBatches(0, Long.MAX_VALUE)));
      assertEquals(List.of(), b.recentBatches(1, Long.MAX_VALUE), "over the budget");

      a.updateHighWatermark(2); // a's followers have both: a gives them back
      assertEquals(batchBytes, budget.usedBytes());
      LogTestSupport.appendBatches(b, 1, VALUE_BYTES);
      assertEquals(List.of(), b.recentBatches(0, Long.MAX_VALUE), "not consecutive");
      assertEquals(2, first(b.recentBatches(2, Long.MAX_VALUE)));
      assertEquals(batchBytes, budget.usedBytes());
    } finally {
      a.close();
      b.close();
    }
    assertEquals(0, budget.usedBytes(), "closed logs keep nothing");
  }

  /** A log that takes batches of a few times the limit. */
  private PartitionLog largeBatchLog(String name) throws IOException {
    return PartitionLog.open(
        dir.resolve(name),
        StorageSettings.of(8 * RecentBatches.MAX_BYTES, 4 * RecentBatches.MAX_BYTES),
        Clock.systemUTC());
  }

  @Test
  void aClosedLogKeepsNothing() throws IOException {
    LogTestSupport.appendBatches(log, 2, VALUE_BYTES);
    log.close();
    assertEquals(List.of(), log.recentBatches(0, Long.MAX_VALUE));
  }

  @Test
  void producedBatchesAreKeptAsStampedAndAValueFromAFileIsNot() throws IOException {
    List<Record> records = List.of(LogTestSupport.record(0, 100), LogTestSupport.record(1, 100));
    // As the HTTP body reader hands a checked batch over, and as a caller's batch is copied.
    ByteBuffer produced = MemoryBatchBuilder.build(records, Compression.NONE, 77, (short) 2, 0);
    BatchValidator validator = new BatchValidator(BatchLimit.maxBatchBytes(1 << 20), "test");
    validator.accept(produced.duplicate());
    log.appendValidatedBatch(validator.finish(produced), 3);
    log.appendProducerBatch(
        MemoryBatchBuilder.build(records, Compression.NONE, 77, (short) 2, 2), 3);
    // A duplicate retry writes nothing and keeps nothing more.
    assertTrue(
        log.appendProducerBatch(
                MemoryBatchBuilder.build(records, Compression.NONE, 77, (short) 2, 2), 3)
            .duplicate());

    List<RecentBatch> kept = log.recentBatches(0, Long.MAX_VALUE);
    assertEquals(List.of(0L, 2L), kept.stream().map(RecentBatch::baseOffset).toList());
    assertEquals(3, last(kept));
    assertEquals(LogTestSupport.bytesOf(log.readBatches(0, Long.MAX_VALUE)), concat(kept));

    Path value = Files.write(dir.resolve("value"), LogTestSupport.value(4, 100));
    log.appendValueFile(LogTestSupport.key(4), List.of(), value, LogTestSupport.TIMESTAMP, 3);
    assertEquals(List.of(), log.recentBatches(4, Long.MAX_VALUE), "streamed from a file");
    LogTestSupport.appendBatches(log, 1, VALUE_BYTES);
    assertEquals(List.of(), log.recentBatches(0, Long.MAX_VALUE), "not consecutive");
    assertEquals(5, first(log.recentBatches(5, Long.MAX_VALUE)));
  }

  private static long first(List<RecentBatch> run) {
    assertTrue(!run.isEmpty(), "no batch kept");
    return run.get(0).baseOffset();
  }

  private static long last(List<RecentBatch> run) {
    assertTrue(!run.isEmpty(), "no batch kept");
    return run.get(run.size() - 1).lastOffset();
  }

  private static ByteBuffer concat(List<RecentBatch> batches) {
    ByteBuffer out =
        ByteBuffer.allocate(batches.stream().mapToInt(b -> b.bytes().remaining()).sum());
    batches.forEach(b -> out.put(b.bytes().duplicate()));
    return out.flip();
  }
}
