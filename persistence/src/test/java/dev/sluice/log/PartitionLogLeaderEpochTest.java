package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.record;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.checkpoint.LeaderEpochCheckpoint;
import dev.sluice.log.epoch.EpochEndOffset;
import dev.sluice.log.epoch.EpochEntry;
import dev.sluice.log.epoch.LeaderEpochCache;
import dev.sluice.log.segment.SegmentFiles;
import dev.sluice.log.testing.LogCapture;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leader-epoch history kept by the log: every append path, truncation and retention. */
class PartitionLogLeaderEpochTest {
  @TempDir Path root;

  private static List<EpochEntry> entries(int... epochAndStart) {
    List<EpochEntry> out = new ArrayList<>();
    for (int i = 0; i < epochAndStart.length; i += 2) {
      out.add(new EpochEntry(epochAndStart[i], epochAndStart[i + 1]));
    }
    return out;
  }

  /** The history as the checkpoint file holds it, to check that every change reached the disk. */
  private static List<EpochEntry> onDisk(PartitionLog log) throws IOException {
    return new LeaderEpochCheckpoint(log.dir().resolve(LeaderEpochCache.FILE_NAME))
        .read()
        .orElseThrow();
  }

  private static void append(PartitionLog log, int epoch, int batches) throws IOException {
    for (int i = 0; i < batches; i++) {
      log.appendRecords(List.of(record(log.logEndOffset(), 100)), epoch);
    }
  }

  /**
   * Batches of one record each from {@code baseOffset}, with the given epochs, as a follower gets.
   */
  private static ByteBuffer leaderBatches(long baseOffset, int valueLength, int... epochs) {
    List<ByteBuffer> batches = new ArrayList<>();
    int total = 0;
    for (int i = 0; i < epochs.length; i++) {
      long offset = baseOffset + i;
      ByteBuffer b =
          LogFixtures.leaderBatch(offset, epochs[i], List.of(record(offset, valueLength)));
      batches.add(b);
      total += b.remaining();
    }
    ByteBuffer all = ByteBuffer.allocate(total);
    batches.forEach(all::put);
    return all.flip();
  }

  @Test
  void leaderAppendsStartAnEpochOnlyWhenItRises() throws IOException {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      assertEquals(List.of(), log.leaderEpochs());
      append(log, 1, 2);
      append(log, 3, 3);
      Path value = Files.write(root.resolve("value"), LogTestSupport.value(5, 3000));
      log.appendValueFile(null, List.of(), value, TIMESTAMP, 3);
      log.appendValueFile(null, List.of(), value, TIMESTAMP, 7);
      append(log, 7, 1);
      List<EpochEntry> expected = entries(1, 0, 3, 2, 7, 6);
      assertEquals(expected, log.leaderEpochs());
      assertEquals(expected, onDisk(log));
      assertEquals(7, log.latestLeaderEpoch());
    }
  }

  @Test
  void followerAppendOfManyBatchesRecordsEveryEpochBoundary() throws IOException {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      log.appendBatches(leaderBatches(0, 50, 1, 1, 2, 5, 5, 5, 6));
      List<EpochEntry> expected = entries(1, 0, 2, 2, 5, 3, 6, 6);
      assertEquals(expected, log.leaderEpochs());
      assertEquals(expected, onDisk(log));
      assertEquals(6, log.latestLeaderEpoch());
    }
  }

  @Test
  void stagedOversizedBatchStartsItsEpoch() throws IOException {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      log.appendBatches(leaderBatches(0, 50, 2, 2));
      ByteBuffer big = leaderBatches(2, 40_000, 4);
      Path file = Files.write(root.resolve("batch"), big.array());
      log.appendBatch(file);
      assertEquals(entries(2, 0, 4, 2), log.leaderEpochs());
      assertEquals(entries(2, 0, 4, 2), onDisk(log));
      assertEquals(4, log.latestLeaderEpoch());
    }
  }

  @Test
  void aBatchWithAnOlderEpochIsAppendedWithAWarningAndNoEntry() throws IOException {
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock());
        LogCapture logs = LogCapture.of(LeaderEpochCache.class)) {
      log.appendBatches(leaderBatches(0, 50, 3, 3, 2, 3));
      assertEquals(4, log.logEndOffset(), "the leader accepted it, so the follower keeps it");
      assertEquals(entries(3, 0), log.leaderEpochs());
      assertEquals(3, log.latestLeaderEpoch());
      List<String> warnings = logs.messages(Level.WARN);
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(
          warnings.get(0).startsWith(dir + ": batch at offset 2 has leader epoch 2, below the"),
          warnings.get(0));
      assertTrue(warnings.get(0).contains("latest epoch 3"), warnings.get(0));
    }
    try (LogCapture logs = LogCapture.of(LeaderEpochCache.class);
        PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(entries(3, 0), log.leaderEpochs());
      assertEquals(3, log.latestLeaderEpoch());
      assertEquals(List.of(), logs.messages(Level.WARN), "an older epoch at the tail is no damage");
      assertEquals(List.of(), logs.messages(Level.INFO));
    }
  }

  @Test
  void aLeaderNeverAppendsWithANegativeEpoch() throws IOException {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> log.appendRecords(List.of(Record.of(null, null, TIMESTAMP)), -1));
      assertTrue(e.getMessage().contains("negative epoch -1"), e.getMessage());
      Path value = Files.write(root.resolve("value"), new byte[10]);
      assertThrows(
          IllegalArgumentException.class,
          () -> log.appendValueFile(null, List.of(), value, TIMESTAMP, -2));
      assertEquals(0, log.logEndOffset());
    }
  }

  @Test
  void truncationRemovesTheEpochsThatStartAtOrPastTheCut() throws IOException {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      append(log, 1, 5);
      append(log, 3, 5);
      append(log, 6, 5);
      log.truncateTo(12);
      assertEquals(entries(1, 0, 3, 5, 6, 10), log.leaderEpochs());
      log.truncateTo(10);
      assertEquals(entries(1, 0, 3, 5), log.leaderEpochs());
      assertEquals(3, log.latestLeaderEpoch());
      log.truncateTo(7);
      assertEquals(entries(1, 0, 3, 5), log.leaderEpochs());
      log.truncateTo(5);
      assertEquals(entries(1, 0), onDisk(log));
      assertEquals(1, log.latestLeaderEpoch());
      append(log, 8, 1);
      assertEquals(entries(1, 0, 8, 5), log.leaderEpochs());
      log.truncateTo(0);
      assertEquals(List.of(), log.leaderEpochs());
      assertEquals(List.of(), onDisk(log));
      assertEquals(-1, log.latestLeaderEpoch());
    }
  }

  @Test
  void truncateFullyEmptiesTheHistory() throws IOException {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      append(log, 1, 3);
      append(log, 2, 3);
      log.truncateFullyAndStartAt(100);
      assertEquals(List.of(), log.leaderEpochs());
      assertEquals(List.of(), onDisk(log));
      assertEquals(-1, log.latestLeaderEpoch());
      assertEquals(new EpochEndOffset(-1, 100), log.endOffsetForEpoch(2));
      append(log, 9, 1);
      assertEquals(entries(9, 100), log.leaderEpochs());
    }
  }

  @Test
  void retentionKeepsTheEpochHoldingTheNewLogStartAndReopensWithIt() throws IOException {
    StorageSettings s =
        new StorageSettings(64 * 1024, 1024, 64 * 1024, FlushPolicy.OS, 100_000, Duration.ZERO);
    Path dir = root.resolve("p");
    List<EpochEntry> kept;
    try (PartitionLog log = PartitionLog.open(dir, s, clock())) {
      // Epoch e covers offsets [50e, 50e + 50): each 700-byte batch, ~90 per segment.
      for (int epoch = 0; epoch < 8; epoch++) {
        for (int i = 0; i < 50; i++) {
          log.appendRecords(List.of(record(log.logEndOffset(), 700)), epoch);
        }
      }
      log.updateHighWatermark(log.logEndOffset());
      assertTrue(log.applyRetention() > 0);
      long start = log.logStartOffset();
      assertTrue(start % 50 != 0, "the new start " + start + " falls inside an epoch");
      int epochAtStart = (int) (start / 50);
      List<EpochEntry> expected = new ArrayList<>();
      expected.add(new EpochEntry(epochAtStart, start));
      for (int epoch = epochAtStart + 1; epoch < 8; epoch++) {
        expected.add(new EpochEntry(epoch, 50L * epoch));
      }
      assertEquals(expected, log.leaderEpochs());
      assertEquals(expected, onDisk(log));
      assertEquals(
          new EpochEndOffset(-1, start), log.endOffsetForEpoch(epochAtStart - 1), "gone epoch");
      kept = log.leaderEpochs();
    }
    try (LogCapture logs = LogCapture.of(LeaderEpochCache.class);
        PartitionLog log = PartitionLog.open(dir, s, clock())) {
      assertEquals(kept, log.leaderEpochs());
      assertEquals(List.of(), logs.messages(Level.INFO), "nothing to rebuild or drop");
      assertEquals(List.of(), logs.messages(Level.WARN));
    }
  }

  @Test
  void endOffsetForEpochAnswersOnTheLogsHistory() throws IOException {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      assertEquals(new EpochEndOffset(-1, 0), log.endOffsetForEpoch(3));
      append(log, 2, 4);
      append(log, 5, 4);
      append(log, 6, 2);
      assertEquals(new EpochEndOffset(6, 10), log.endOffsetForEpoch(6));
      assertEquals(new EpochEndOffset(5, 8), log.endOffsetForEpoch(5));
      assertEquals(new EpochEndOffset(2, 4), log.endOffsetForEpoch(4));
      assertEquals(new EpochEndOffset(6, 10), log.endOffsetForEpoch(9));
      assertEquals(new EpochEndOffset(-1, 0), log.endOffsetForEpoch(1));
      assertEquals(new EpochEndOffset(-1, 0), log.endOffsetForEpoch(-1));
    }
  }

  /**
   * Issue 8's deposed leader: it wrote x at offset 5 alone in epoch 1 and died; the new leader
   * wrote y at offset 5 in epoch 2. Equal log ends, but the epochs show where they part.
   */
  @Test
  void equalLogEndsThatDivergeAreFoundByEpoch() throws IOException {
    try (PartitionLog oldLeader = PartitionLog.open(root.resolve("old"), settings(), clock());
        PartitionLog newLeader = PartitionLog.open(root.resolve("new"), settings(), clock())) {
      oldLeader.appendBatches(leaderBatches(0, 50, 1, 1, 1, 1, 1, 1));
      newLeader.appendBatches(leaderBatches(0, 50, 1, 1, 1, 1, 1, 2));
      assertEquals(oldLeader.logEndOffset(), newLeader.logEndOffset());

      EpochEndOffset answer = newLeader.endOffsetForEpoch(oldLeader.latestLeaderEpoch());
      assertEquals(new EpochEndOffset(1, 5), answer);
      oldLeader.truncateTo(Math.min(answer.endOffset(), oldLeader.logEndOffset()));
      assertEquals(5, oldLeader.logEndOffset());
      assertEquals(
          answer,
          oldLeader.endOffsetForEpoch(answer.epoch()),
          "consistent: the follower's own end");
    }
  }

  @Test
  void aFailedAppendLeavesNeitherAnEpochNorAnUnpublishedBatchBehind() throws IOException {
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      // Three 20 KiB batches fill the 64 KiB segment; the fourth (a new epoch) must roll to a
      // new segment at offset 3, and a directory in the way of its file makes the roll fail.
      ByteBuffer batches = leaderBatches(0, 20_000, 1, 1, 1, 2, 2);
      Path blocker = Files.createDirectory(SegmentFiles.logFile(dir, 3));
      assertThrows(IOException.class, () -> log.appendBatches(batches.duplicate()));
      assertEquals(3, log.logEndOffset(), "the batches written before the failure are published");
      assertEquals(entries(1, 0), log.leaderEpochs());
      assertEquals(entries(1, 0), onDisk(log));
      assertEquals(1, log.latestLeaderEpoch());

      Files.delete(blocker);
      ByteBuffer tail = leaderBatches(3, 20_000, 2, 2);
      log.appendBatches(tail);
      assertEquals(5, log.logEndOffset());
      assertEquals(entries(1, 0, 2, 3), log.leaderEpochs());
      LogTestSupport.assertRecordsIntact(log, 0, 5, 20_000);
    }
  }
}
