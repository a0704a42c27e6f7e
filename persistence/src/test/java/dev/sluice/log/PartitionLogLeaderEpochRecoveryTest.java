package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.record;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.checkpoint.LeaderEpochCheckpoint;
import dev.sluice.log.epoch.EpochEntry;
import dev.sluice.log.epoch.LeaderEpochCache;
import dev.sluice.log.testing.LogCapture;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Corrupt-then-recover for the leader-epoch history: it must always come back matching the log. */
class PartitionLogLeaderEpochRecoveryTest {
  @TempDir Path root;

  /** Epoch 1 at [0, 4), epoch 3 at [4, 9), epoch 4 at [9, 10). */
  private static final List<EpochEntry> HISTORY =
      List.of(new EpochEntry(1, 0), new EpochEntry(3, 4), new EpochEntry(4, 9));

  private Path dir() {
    return root.resolve("p");
  }

  private Path epochFile() {
    return dir().resolve(LeaderEpochCache.FILE_NAME);
  }

  private void writeLog() throws IOException {
    try (PartitionLog log = PartitionLog.open(dir(), settings(), clock())) {
      for (int i = 0; i < 10; i++) {
        int epoch = i < 4 ? 1 : i < 9 ? 3 : 4;
        log.appendRecords(List.of(record(i, 300)), epoch);
      }
      assertEquals(HISTORY, log.leaderEpochs());
    }
  }

  private static void simulateCrash(Path dir) throws IOException {
    Files.deleteIfExists(dir.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE));
  }

  private List<EpochEntry> onDisk() throws IOException {
    return new LeaderEpochCheckpoint(epochFile()).read().orElseThrow();
  }

  /** Opens the log, checks its history and that the file was rewritten to match; returns logs. */
  private LogLines reopenExpecting(List<EpochEntry> expected, long logEnd) throws IOException {
    try (LogCapture logs = LogCapture.of(LeaderEpochCache.class);
        PartitionLog log = PartitionLog.open(dir(), settings(), clock())) {
      assertEquals(logEnd, log.logEndOffset());
      assertEquals(expected, log.leaderEpochs());
      assertEquals(
          expected.isEmpty() ? -1 : expected.get(expected.size() - 1).epoch(),
          log.latestLeaderEpoch());
      assertEquals(expected, onDisk());
      return new LogLines(logs.messages(Level.INFO), logs.messages(Level.WARN));
    }
  }

  private record LogLines(List<String> info, List<String> warn) {
    boolean rebuilt() {
      return info.stream().anyMatch(m -> m.contains("rebuilt the leader-epoch history"))
          || warn.stream().anyMatch(m -> m.contains("rebuilt the leader-epoch history"));
    }
  }

  @Test
  void newPartitionStartsWithAnEmptyCheckpointAndNoScan() throws IOException {
    LogLines logs = reopenExpecting(List.of(), 0);
    assertEquals(List.of(), logs.info());
    assertEquals(List.of(), logs.warn());
    assertEquals("0\n0\n", Files.readString(epochFile()));
  }

  @Test
  void cleanReopenReadsTheCheckpointAndScansNothing() throws IOException {
    writeLog();
    LogLines logs = reopenExpecting(HISTORY, 10);
    assertEquals(List.of(), logs.info());
    assertEquals(List.of(), logs.warn());
  }

  @Test
  void missingCheckpointIsRebuiltFromTheBatchHeaders() throws IOException {
    writeLog();
    Files.delete(epochFile());
    LogLines logs = reopenExpecting(HISTORY, 10);
    assertTrue(logs.rebuilt(), logs.toString());
    assertTrue(
        logs.info().get(0).startsWith(epochFile() + ": no checkpoint; rebuilt"), logs.toString());
    assertTrue(logs.info().get(0).contains("from 10 batch headers"), logs.toString());
    assertEquals(List.of(), logs.warn());
    assertEquals(List.of(), reopenExpecting(HISTORY, 10).info(), "rebuilt once, then read");
  }

  @Test
  void garbageCheckpointIsReportedAndRebuilt() throws IOException {
    writeLog();
    byte[] garbage = new byte[300];
    new Random(3).nextBytes(garbage);
    Files.write(epochFile(), garbage);
    LogLines logs = reopenExpecting(HISTORY, 10);
    assertTrue(logs.rebuilt(), logs.toString());
    assertTrue(logs.warn().get(0).contains("does not parse"), logs.toString());
  }

  @ParameterizedTest(name = "cut to {0} bytes")
  @ValueSource(ints = {0, 1, 2, 4, 9, 12, 14, 15})
  void truncatedCheckpointIsRebuilt(int keep) throws IOException {
    writeLog();
    String full = Files.readString(epochFile());
    assertEquals("0\n3\n1 0\n3 4\n4 9\n", full);
    Files.writeString(epochFile(), full.substring(0, keep), StandardCharsets.UTF_8);
    try (LogCapture parse = LogCapture.of(LeaderEpochCheckpoint.class)) {
      LogLines logs = reopenExpecting(HISTORY, 10);
      assertTrue(logs.rebuilt(), logs.toString());
      List<String> reported = parse.messages(Level.WARN);
      assertEquals(1, reported.size(), reported.toString());
      assertTrue(reported.get(0).startsWith(epochFile() + " line "), reported.get(0));
    }
  }

  @Test
  void crashAfterTheCheckpointButBeforeTheBatchDropsTheEntryWithoutARebuild() throws IOException {
    writeLog();
    // What an append of epoch 6 at offset 10 leaves when the crash takes the batch bytes.
    new LeaderEpochCheckpoint(epochFile())
        .write(List.of(HISTORY.get(0), HISTORY.get(1), HISTORY.get(2), new EpochEntry(6, 10)));
    simulateCrash(dir());
    LogLines logs = reopenExpecting(HISTORY, 10);
    assertFalse(logs.rebuilt(), logs.toString());
    assertEquals(1, logs.info().size(), logs.toString());
    assertTrue(
        logs.info().get(0).contains("[EpochEntry[epoch=6, startOffset=10]]"), logs.info().get(0));
  }

  @Test
  void tornTailThatHeldTheOnlyBatchOfTheLatestEpochTakesTheEpochWithIt() throws IOException {
    writeLog();
    List<Path> segments = LogTestSupport.logFiles(dir());
    Path active = segments.get(segments.size() - 1);
    try (FileChannel ch = FileChannel.open(active, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 30);
    }
    simulateCrash(dir());
    LogLines logs = reopenExpecting(HISTORY.subList(0, 2), 9);
    assertFalse(logs.rebuilt(), logs.toString());
    try (PartitionLog log = PartitionLog.open(dir(), settings(), clock())) {
      log.appendRecords(List.of(Record.of(null, null, TIMESTAMP)), 5);
      assertEquals(
          List.of(HISTORY.get(0), HISTORY.get(1), new EpochEntry(5, 9)), log.leaderEpochs());
    }
  }

  @Test
  void historyBehindTheLogIsRebuilt() throws IOException {
    writeLog();
    new LeaderEpochCheckpoint(epochFile()).write(HISTORY.subList(0, 2));
    LogLines logs = reopenExpecting(HISTORY, 10);
    assertTrue(logs.rebuilt(), logs.toString());
    assertTrue(logs.warn().get(0).contains("the last batch has epoch 4"), logs.toString());
  }

  @ParameterizedTest(name = "latest epoch 4 claimed to start at {0}")
  @ValueSource(longs = {5, 8})
  void latestEpochStartingWhereTheLogDoesNotChangeEpochIsRebuilt(long claimedStart)
      throws IOException {
    writeLog();
    new LeaderEpochCheckpoint(epochFile())
        .write(List.of(HISTORY.get(0), new EpochEntry(4, claimedStart)));
    LogLines logs = reopenExpecting(HISTORY, 10);
    assertTrue(logs.rebuilt(), logs.toString());
  }

  @Test
  void latestEpochClaimedToStartAfterItsFirstBatchIsRebuilt() throws IOException {
    writeLog();
    try (PartitionLog log = PartitionLog.open(dir(), settings(), clock())) {
      log.truncateTo(9);
    }
    new LeaderEpochCheckpoint(epochFile()).write(List.of(HISTORY.get(0), new EpochEntry(3, 6)));
    LogLines logs = reopenExpecting(HISTORY.subList(0, 2), 9);
    assertTrue(logs.warn().get(0).contains("the batch before the start"), logs.toString());
  }

  @Test
  void emptyHistoryOfANonEmptyLogIsRebuilt() throws IOException {
    writeLog();
    new LeaderEpochCheckpoint(epochFile()).write(List.of());
    LogLines logs = reopenExpecting(HISTORY, 10);
    assertTrue(logs.warn().get(0).contains("the history is empty"), logs.toString());
  }

  @Test
  void rebuildReadsOnlyHeadersAcrossSegmentsAndBatchesLargerThanTheScanBuffer() throws IOException {
    StorageSettings s =
        new StorageSettings(1024 * 1024, 4096, 512 * 1024, FlushPolicy.OS, -1, Duration.ZERO);
    int[] sizes = {10, 200_000, 30, 70_000, 65_000, 5, 300_000, 300_000, 100, 1, 400_000, 20};
    int[] epochs = {0, 0, 2, 2, 3, 3, 3, 7, 7, 7, 9, 9};
    List<EpochEntry> expected =
        List.of(
            new EpochEntry(0, 0),
            new EpochEntry(2, 2),
            new EpochEntry(3, 4),
            new EpochEntry(7, 7),
            new EpochEntry(9, 10));
    try (PartitionLog log = PartitionLog.open(dir(), s, clock())) {
      for (int i = 0; i < sizes.length; i++) {
        log.appendRecords(List.of(record(i, sizes[i])), epochs[i]);
      }
      assertTrue(log.segmentCount() >= 2, "spans segments");
      assertEquals(expected, log.leaderEpochs());
    }
    Files.delete(epochFile());
    try (LogCapture logs = LogCapture.of(LeaderEpochCache.class);
        PartitionLog log = PartitionLog.open(dir(), s, clock())) {
      assertEquals(expected, log.leaderEpochs());
      assertTrue(logs.messages(Level.INFO).get(0).contains("from 12 batch headers"));
    }
  }

  @Test
  void crashBetweenTheLogStartAndTheHistoryCheckpointsAppliesTheLogStartAtOpen()
      throws IOException {
    StorageSettings s =
        new StorageSettings(64 * 1024, 1024, 64 * 1024, FlushPolicy.OS, 100_000, Duration.ZERO);
    List<EpochEntry> before;
    List<EpochEntry> after;
    try (PartitionLog log = PartitionLog.open(dir(), s, clock())) {
      for (int epoch = 0; epoch < 8; epoch++) {
        for (int i = 0; i < 50; i++) {
          log.appendRecords(List.of(record(log.logEndOffset(), 700)), epoch);
        }
      }
      log.updateHighWatermark(log.logEndOffset());
      before = log.leaderEpochs();
      assertTrue(log.applyRetention() > 0);
      after = log.leaderEpochs();
      assertTrue(after.size() < before.size());
    }
    // The history as it was when the log start offset had already moved.
    new LeaderEpochCheckpoint(epochFile()).write(before);
    simulateCrash(dir());
    try (LogCapture logs = LogCapture.of(LeaderEpochCache.class);
        PartitionLog log = PartitionLog.open(dir(), s, clock())) {
      assertEquals(after, log.leaderEpochs());
      assertEquals(after, onDisk());
      assertEquals(List.of(), logs.messages(Level.WARN), "no rebuild needed");
    }
  }

  @Test
  void retentionThenReopenWithALostCheckpointRebuildsFromTheNewLogStart() throws IOException {
    StorageSettings s =
        new StorageSettings(64 * 1024, 1024, 64 * 1024, FlushPolicy.OS, 100_000, Duration.ZERO);
    List<EpochEntry> kept;
    try (PartitionLog log = PartitionLog.open(dir(), s, clock())) {
      for (int epoch = 0; epoch < 8; epoch++) {
        for (int i = 0; i < 50; i++) {
          log.appendRecords(List.of(record(log.logEndOffset(), 700)), epoch);
        }
      }
      log.updateHighWatermark(log.logEndOffset());
      assertTrue(log.applyRetention() > 0);
      kept = log.leaderEpochs();
      assertEquals(log.logStartOffset(), kept.get(0).startOffset());
    }
    Files.delete(epochFile());
    try (PartitionLog log = PartitionLog.open(dir(), s, clock())) {
      assertEquals(kept, log.leaderEpochs());
    }
  }
}
