package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.segment.SegmentFiles;
import dev.sluice.log.testing.Conditions;
import dev.sluice.log.testing.LogTestSupport;
import dev.sluice.log.testing.RecordingSyncer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit in the log: appends that do not force, {@link PartitionLog#flush} covering every
 * append made before it, {@link PartitionLog#flushedOffset} never ahead of a completed force, and a
 * failed force failing the log. Forces go through a {@link RecordingSyncer}, which also simulates
 * the power loss.
 */
class PartitionLogGroupCommitTest {
  private static final int THREADS = 8;
  private static final int APPENDS_PER_THREAD = 60;
  private static final int VALUE_BYTES = 300;
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path root;

  private static StorageSettings everyBatch() {
    // Small segments, so that appends roll while flushes run.
    return new StorageSettings(
        32 * 1024, 1024, 16 * 1024, FlushPolicy.EVERY_BATCH, -1, Duration.ZERO);
  }

  @Test
  void concurrentAppendsShareForcesAndDurableOffsetsSurviveAPowerLoss() throws Exception {
    Path dir = root.resolve("p");
    RecordingSyncer syncer = new RecordingSyncer();
    AtomicInteger appends = new AtomicInteger();
    AtomicBoolean appending = new AtomicBoolean(true);
    Map<Long, byte[]> keyAt = new ConcurrentHashMap<>();
    List<String> violations = new ArrayList<>();
    try (PartitionLog log = PartitionLog.open(dir, everyBatch(), clock(), syncer)) {
      log.deferForces(true);
      Thread[] flusher = new Thread[1];
      // A slow disk: the flusher's force waits until more appends arrived (or they ended), so
      // every force has a group to cover. The check runs while no force of this flush completed:
      // what the log calls durable must already be covered by an earlier completed force.
      syncer.beforeEachForce(
          (file, size) -> {
            checkDurableIsForced(log, syncer, violations);
            if (Thread.currentThread() == flusher[0]) {
              int start = appends.get();
              Conditions.await(
                  () -> appends.get() >= start + THREADS || !appending.get(),
                  WAIT,
                  "more appends while a force is slow");
            }
          });
      ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
      try {
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          int thread = t;
          writers.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < APPENDS_PER_THREAD; i++) {
                      byte[] key = ("t" + thread + "-" + i).getBytes(StandardCharsets.UTF_8);
                      AppendInfo info =
                          log.appendRecords(
                              List.of(
                                  Record.of(key, LogTestSupport.value(i, VALUE_BYTES), TIMESTAMP)),
                              1);
                      keyAt.put(info.baseOffset(), key);
                      appends.incrementAndGet();
                    }
                    return null;
                  }));
        }
        int[] flushes = new int[1];
        Future<?> flushing =
            pool.submit(
                () -> {
                  flusher[0] = Thread.currentThread();
                  while (appending.get() || log.flushedOffset() < log.logEndOffset()) {
                    long before = log.logEndOffset();
                    long durable = log.flush();
                    flushes[0]++;
                    if (durable < before) {
                      violations.add("flush returned " + durable + " below the end " + before);
                    }
                    checkDurableIsForced(log, syncer, violations);
                  }
                  return null;
                });
        for (Future<?> w : writers) {
          w.get(2, TimeUnit.MINUTES);
        }
        appending.set(false);
        flushing.get(2, TimeUnit.MINUTES);
        assertEquals(List.of(), violations);
        int total = THREADS * APPENDS_PER_THREAD;
        assertEquals(total, log.logEndOffset());
        assertEquals(total, log.flushedOffset());
        assertTrue(log.segmentCount() > 2, "the appends rolled segments");
        assertTrue(
            syncer.forces() < total / 2,
            syncer.forces() + " forces (" + flushes[0] + " flushes) for " + total + " appends");
      } finally {
        pool.shutdownNow();
      }

      // Written but never forced: lost in the power loss below.
      long durable = log.flushedOffset();
      for (int i = 0; i < 5; i++) {
        log.appendRecords(
            List.of(Record.of(null, LogTestSupport.value(i, VALUE_BYTES), TIMESTAMP)), 1);
      }
      assertEquals(durable, log.flushedOffset());

      // The power goes while the log is open: on disk is what completed forces covered.
      Path copy = root.resolve("after-power-loss");
      copyDirectory(dir, copy);
      syncer.cutToForcedSizes(dir, copy, SegmentFiles.LOG_SUFFIX);
      try (PartitionLog recovered = PartitionLog.open(copy, everyBatch(), clock())) {
        assertEquals(durable, recovered.logEndOffset());
        assertEquals(durable, recovered.flushedOffset());
        for (long o = 0; o < durable; o++) {
          RecordLocation r = recovered.locate(o).orElseThrow();
          assertArrayEquals(keyAt.get(o), r.key(), "key at offset " + o);
        }
      }
    }
  }

  /** The batch ending at {@code flushedOffset} lies inside what a completed force covered. */
  private static void checkDurableIsForced(
      PartitionLog log, RecordingSyncer syncer, List<String> violations) throws IOException {
    long durable = log.flushedOffset();
    if (durable == 0) {
      return;
    }
    LogSlice last = log.readBatches(durable - 1, 1).slices().get(0);
    long forced = syncer.forcedSize(last.segmentFile());
    if (last.position() + last.length() > forced) {
      synchronized (violations) {
        violations.add(
            "flushed offset "
                + durable
                + " but "
                + last.segmentFile()
                + " was forced only to "
                + forced
                + " bytes, below "
                + (last.position() + last.length()));
      }
    }
  }

  @Test
  void appendsDoNotForceWhenDeferredAndAFlushCoversThemAll() throws Exception {
    RecordingSyncer syncer = new RecordingSyncer();
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), everyBatch(), clock(), syncer)) {
      log.deferForces(true);
      LogTestSupport.appendBatches(log, 10, 100);
      assertEquals(0, syncer.forces());
      assertEquals(0, log.flushedOffset());
      assertEquals(10, log.flush());
      assertEquals(1, syncer.forces());
      assertEquals(10, log.flushedOffset());
      assertEquals(10, log.flush(), "nothing new: no force needed");
      assertEquals(1, syncer.forces());

      log.deferForces(false);
      LogTestSupport.appendBatches(log, 1, 100);
      assertEquals(2, syncer.forces(), "an append forces again with flush = every-batch");
      assertEquals(11, log.flushedOffset());
    }
  }

  @Test
  void withFlushOsNothingIsForcedPerAppendAndEverythingCountsAsFlushed() throws Exception {
    RecordingSyncer syncer = new RecordingSyncer();
    try (PartitionLog log =
        PartitionLog.open(root.resolve("p"), LogTestSupport.settings(), clock(), syncer)) {
      LogTestSupport.appendBatches(log, 10, 100);
      assertEquals(0, syncer.forces());
      assertEquals(10, log.flushedOffset());
    }
  }

  @Test
  void aFailedForceFailsTheLogForGood() throws Exception {
    RecordingSyncer syncer = new RecordingSyncer();
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, everyBatch(), clock(), syncer)) {
      log.deferForces(true);
      LogTestSupport.appendBatches(log, 3, 100);
      assertEquals(3, log.flush());
      LogTestSupport.appendBatches(log, 2, 100);
      syncer.failFromNowOn(new IOException("EIO (injected)"));

      LogFailedException failed = assertThrows(LogFailedException.class, log::flush);
      assertTrue(failed.getMessage().startsWith("fsync of "), failed.getMessage());
      assertTrue(failed.getMessage().contains(dir.toString()), failed.getMessage());
      assertTrue(failed.getMessage().contains("EIO (injected)"), failed.getMessage());
      assertEquals(3, log.flushedOffset());
      assertTrue(log.failure().isPresent());

      // A disk that works again proves nothing about the pages the failed fsync may have dropped.
      syncer.failFromNowOn(null);
      LogFailedException refused =
          assertThrows(
              LogFailedException.class,
              () -> log.appendRecords(List.of(LogTestSupport.record(5, 100)), 1));
      assertTrue(
          refused.getMessage().startsWith(dir + ": refusing to write"), refused.getMessage());
      assertTrue(refused.getMessage().contains("fsync of "), refused.getMessage());
      assertThrows(LogFailedException.class, log::flush);
      assertEquals(3, log.flushedOffset());
      assertEquals(5, log.logEndOffset());
    }
    // Closed without the clean-shutdown marker: the next open checks and forces the tail.
    assertFalse(Files.exists(dir.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE)));
    RecordingSyncer next = new RecordingSyncer();
    try (PartitionLog log = PartitionLog.open(dir, everyBatch(), clock(), next)) {
      assertEquals(1, next.forces(), "recovery forced the active segment once");
      assertEquals(5, log.logEndOffset());
      assertEquals(5, log.flushedOffset());
      LogTestSupport.appendBatches(log, 1, 100);
    }
  }

  @Test
  void truncationWaitsForARunningForceAndLowersTheFlushedOffset() throws Exception {
    RecordingSyncer syncer = new RecordingSyncer();
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), everyBatch(), clock(), syncer)) {
      log.deferForces(true);
      LogTestSupport.appendBatches(log, 10, 100);
      syncer.block();
      CompletableFuture<Long> flush =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return log.flush();
                } catch (IOException e) {
                  throw new AssertionError(e);
                }
              });
      Conditions.await(() -> syncer.waiting() == 1, WAIT, "the flush holding its force");
      CompletableFuture<Void> truncation =
          CompletableFuture.runAsync(
              () -> {
                try {
                  log.truncateTo(4);
                } catch (IOException e) {
                  throw new AssertionError(e);
                }
              });
      // The truncation needs the write lock only briefly, then waits for the force to end.
      Conditions.await(
          () -> syncer.waiting() == 1 && !truncation.isDone(), WAIT, "truncation waiting");
      assertEquals(0, log.flushedOffset());
      syncer.release();
      assertEquals(10, flush.get(1, TimeUnit.MINUTES));
      truncation.get(1, TimeUnit.MINUTES);
      assertEquals(4, log.logEndOffset());
      assertEquals(4, log.flushedOffset());
      LogTestSupport.appendBatches(log, 2, 100);
      assertEquals(6, log.flush());
    }
  }

  @Test
  void truncationForcesTheCutFileEvenWhenEveryByteLeftWasForced() throws Exception {
    RecordingSyncer syncer = new RecordingSyncer();
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), everyBatch(), clock(), syncer)) {
      log.deferForces(true);
      LogTestSupport.appendBatches(log, 10, 100);
      assertEquals(10, log.flush());
      Path file = LogTestSupport.activeLogFile(log);
      int before = syncer.forces(file);
      log.truncateTo(4);
      // Without this force a power loss could bring the cut batches back.
      assertEquals(before + 1, syncer.forces(file), "the shorter length was forced");
      assertEquals(4, log.flushedOffset());
    }
  }

  @Test
  void cuttingAFailedLogNeverLeavesTheHighWatermarkAboveTheLogEnd() throws Exception {
    RecordingSyncer syncer = new RecordingSyncer();
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), everyBatch(), clock(), syncer)) {
      log.deferForces(true);
      LogTestSupport.appendBatches(log, 10, 100);
      assertEquals(10, log.flush());
      log.updateHighWatermark(10);
      LogTestSupport.appendBatches(log, 2, 100);
      syncer.failFromNowOn(new IOException("EIO (injected)"));
      assertThrows(LogFailedException.class, log::flush);

      assertThrows(LogFailedException.class, () -> log.truncateTo(4));
      assertEquals(4, log.logEndOffset());
      assertEquals(4, log.highWatermark());
      LogTestSupport.assertRecordsIntact(log, 0, 4, 100);

      assertThrows(LogFailedException.class, () -> log.truncateFullyAndStartAt(2));
      assertEquals(2, log.logEndOffset());
      assertEquals(2, log.highWatermark());
    }
  }

  @Test
  void recoveryAfterACrashForcesTheActiveSegmentBeforeCallingItDurable() throws Exception {
    Path dir = root.resolve("p");
    Path copy = root.resolve("crashed");
    try (PartitionLog log = PartitionLog.open(dir, everyBatch(), clock(), new RecordingSyncer())) {
      log.deferForces(true);
      LogTestSupport.appendBatches(log, 7, 100);
      copyDirectory(dir, copy); // a process crash: the page cache keeps the unforced bytes
    }
    RecordingSyncer syncer = new RecordingSyncer();
    try (PartitionLog log = PartitionLog.open(copy, everyBatch(), clock(), syncer)) {
      assertEquals(1, syncer.forces());
      assertEquals(
          Files.size(LogTestSupport.activeLogFile(log)),
          syncer.forcedSize(LogTestSupport.activeLogFile(log)));
      assertEquals(7, log.flushedOffset());
      LogTestSupport.assertRecordsIntact(log, 0, 7, 100);
    }
  }

  private static void copyDirectory(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.toList()) {
        if (Files.isRegularFile(f)) {
          Files.copy(f, to.resolve(f.getFileName()));
        }
      }
    }
  }
}
