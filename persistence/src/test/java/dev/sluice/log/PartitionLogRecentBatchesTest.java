package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.StorageSettings;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
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

    BatchRun run = log.recentBatches(1, Long.MAX_VALUE).orElseThrow();
    assertEquals(1, run.baseOffset());
    assertEquals(4, run.lastOffset());
    assertEquals(4, run.batches().size());
    FetchResult fromFiles = log.readBatches(1, Long.MAX_VALUE);
    assertEquals(fromFiles.sizeInBytes(), run.bytes());
    assertEquals(LogTestSupport.bytesOf(fromFiles), concat(run.batches()));
  }

  @Test
  void aRunHoldsWholeBatchesWithinTheSizeAskedForAndStartsOnlyAtABatch() throws IOException {
    LogTestSupport.appendBatches(log, 3, VALUE_BYTES);
    long batchBytes = log.readBatches(0, 1).sizeInBytes();

    BatchRun two = log.recentBatches(0, 2 * batchBytes + batchBytes / 2).orElseThrow();
    assertEquals(0, two.baseOffset());
    assertEquals(1, two.lastOffset());
    assertEquals(2 * batchBytes, two.bytes());
    assertEquals(Optional.empty(), log.recentBatches(0, batchBytes - 1), "first batch too large");
    assertEquals(Optional.empty(), log.recentBatches(3, Long.MAX_VALUE), "the log end");

    log.appendRecords(
        List.of(
            LogTestSupport.record(3, 10),
            LogTestSupport.record(4, 10),
            LogTestSupport.record(5, 10)),
        1);
    assertEquals(Optional.empty(), log.recentBatches(4, Long.MAX_VALUE), "inside a batch");
    assertEquals(5, log.recentBatches(3, Long.MAX_VALUE).orElseThrow().lastOffset());
  }

  @Test
  void batchesEveryInSyncFollowerHasAreDropped() throws IOException {
    LogTestSupport.appendBatches(log, 4, VALUE_BYTES);

    log.updateHighWatermark(2);

    assertEquals(Optional.empty(), log.recentBatches(0, Long.MAX_VALUE));
    assertEquals(Optional.empty(), log.recentBatches(1, Long.MAX_VALUE));
    assertEquals(3, log.recentBatches(2, Long.MAX_VALUE).orElseThrow().lastOffset());
    log.updateHighWatermark(4);
    assertEquals(Optional.empty(), log.recentBatches(3, Long.MAX_VALUE), "an idle partition");
  }

  @Test
  void theOldestAreDroppedBeyondTheLimit() throws IOException {
    log.close();
    log = largeBatchLog("large");
    int valueBytes = 100 * 1024;
    int batches = (int) (RecentBatches.MAX_BYTES / valueBytes) + 3;
    LogTestSupport.appendBatches(log, batches, valueBytes);

    assertEquals(Optional.empty(), log.recentBatches(0, Long.MAX_VALUE));
    long oldestKept = -1;
    for (long o = 0; o < batches && oldestKept < 0; o++) {
      if (log.recentBatches(o, Long.MAX_VALUE).isPresent()) {
        oldestKept = o;
      }
    }
    BatchRun kept = log.recentBatches(oldestKept, Long.MAX_VALUE).orElseThrow();
    assertEquals(batches - 1, kept.lastOffset());
    assertTrue(kept.bytes() <= RecentBatches.MAX_BYTES, kept.bytes() + " bytes kept");
    long oneMore = log.readBatches(oldestKept - 1, 1).sizeInBytes();
    assertTrue(kept.bytes() + oneMore > RecentBatches.MAX_BYTES, "dropped only what it had to");
    assertEquals(
        LogTestSupport.bytesOf(log.readBatches(oldestKept, Long.MAX_VALUE)),
        concat(kept.batches()));
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
    assertEquals(Optional.empty(), log.recentBatches(2, Long.MAX_VALUE));

    LogTestSupport.appendBatches(log, 1, VALUE_BYTES);

    assertEquals(Optional.empty(), log.recentBatches(0, Long.MAX_VALUE), "not consecutive");
    assertEquals(3, log.recentBatches(3, Long.MAX_VALUE).orElseThrow().baseOffset());
  }

  @Test
  void truncationDropsEveryKeptBatch() throws IOException {
    LogTestSupport.appendBatches(log, 4, VALUE_BYTES);

    log.truncateTo(3);

    assertEquals(Optional.empty(), log.recentBatches(0, Long.MAX_VALUE));
    LogTestSupport.appendBatches(log, 1, VALUE_BYTES);
    BatchRun after = log.recentBatches(3, Long.MAX_VALUE).orElseThrow();
    assertEquals(
        LogTestSupport.bytesOf(log.readBatches(3, Long.MAX_VALUE)), concat(after.batches()));

    log.truncateFullyAndStartAt(10);
    assertEquals(Optional.empty(), log.recentBatches(3, Long.MAX_VALUE));
  }

  @Test
  void aLargeBatchIsNotKept() throws IOException {
    log.close();
    log = largeBatchLog("large");
    LogTestSupport.appendBatches(log, 1, (int) RecentBatches.MAX_BYTES + 1);
    LogTestSupport.appendBatches(log, 1, VALUE_BYTES);

    assertEquals(Optional.empty(), log.recentBatches(0, Long.MAX_VALUE));
    assertEquals(1, log.recentBatches(1, Long.MAX_VALUE).orElseThrow().baseOffset());
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
    assertEquals(Optional.empty(), log.recentBatches(0, Long.MAX_VALUE));
  }

  private static ByteBuffer concat(List<ByteBuffer> batches) {
    ByteBuffer out = ByteBuffer.allocate(batches.stream().mapToInt(ByteBuffer::remaining).sum());
    batches.forEach(b -> out.put(b.duplicate()));
    return out.flip();
  }
}
