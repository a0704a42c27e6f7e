package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.sluice.log.checkpoint.HighWatermarkFile;
import dev.sluice.log.testing.LogCapture;
import dev.sluice.log.testing.LogTestSupport;
import dev.sluice.log.testing.MutableClock;
import dev.sluice.log.testing.RecordingSyncer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The high-watermark checkpoint written in place: every move reaches the file before it is
 * published (so a killed process keeps it), forces happen at most once per {@code
 * high-watermark-checkpoint-interval} and at close, and a torn record reads as absent.
 */
class PartitionLogHighWatermarkCheckpointTest {
  @TempDir Path root;

  @Test
  void everyMoveIsInTheFileAtOnceAndSurvivesAKilledProcess() throws IOException {
    Path dir = root.resolve("p");
    Path copy = root.resolve("killed");
    try (PartitionLog log = PartitionLog.open(dir, settings(), LogTestSupport.clock())) {
      LogTestSupport.appendBatches(log, 10, 100);
      log.updateHighWatermark(4);
      log.updateHighWatermark(9);
      // kill -9: the page cache keeps what was written; nothing was closed.
      Files.createDirectories(copy);
      try (var files = Files.list(dir)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          Files.copy(f, copy.resolve(f.getFileName()));
        }
      }
    }
    try (PartitionLog log = PartitionLog.open(copy, settings(), LogTestSupport.clock())) {
      assertEquals(9, log.highWatermark());
    }
  }

  @Test
  void movesAreForcedAtMostOncePerIntervalAndAtClose() throws IOException {
    Path dir = root.resolve("p");
    Path file = dir.resolve(PartitionLog.HIGH_WATERMARK_FILE);
    MutableClock clock = LogTestSupport.clock();
    RecordingSyncer syncer = new RecordingSyncer();
    Duration interval = settings().highWatermarkCheckpointInterval();
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock, syncer)) {
      LogTestSupport.appendBatches(log, 10, 100);
      log.updateHighWatermark(2);
      log.updateHighWatermark(3);
      assertEquals(0, syncer.forcedSize(file), "moves within the interval are not forced");
      assertFalse(log.checkpointHighWatermarkIfDue());

      clock.advance(interval);
      assertTrue(log.checkpointHighWatermarkIfDue(), "an idle partition's last move is forced");
      assertEquals(HighWatermarkFile.RECORD_BYTES, syncer.forcedSize(file));
      int forces = syncer.forces(file);
      assertEquals(1, forces);
      assertFalse(log.checkpointHighWatermarkIfDue());

      clock.advance(interval);
      log.updateHighWatermark(3); // no move, and nothing unforced: no force
      assertEquals(forces, syncer.forces(file));
      log.updateHighWatermark(5);
      assertEquals(forces, syncer.forces(file), "the interval restarted at the last check");
      clock.advance(interval);
      log.updateHighWatermark(6); // due: the move is forced with it
      assertEquals(forces + 1, syncer.forces(file));
      log.updateHighWatermark(7);
      assertEquals(forces + 1, syncer.forces(file));
    }
    assertEquals(3, syncer.forces(file), "close forced the last move");
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock)) {
      assertEquals(7, log.highWatermark());
    }
  }

  @Test
  void aTornRecordFallsBackToTheLogStartWithAWarning() throws IOException {
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, settings(), LogTestSupport.clock())) {
      LogTestSupport.appendBatches(log, 10, 100);
      log.updateHighWatermark(8);
    }
    // A power loss in the middle of the in-place write.
    Path file = dir.resolve(PartitionLog.HIGH_WATERMARK_FILE);
    Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 13));
    try (LogCapture logs = LogCapture.of(dev.sluice.log.checkpoint.HighWatermarkFile.class);
        PartitionLog log = PartitionLog.open(dir, settings(), LogTestSupport.clock())) {
      assertEquals(log.logStartOffset(), log.highWatermark());
      assertEquals(1, logs.messages(Level.WARN).size());
      log.updateHighWatermark(10);
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), LogTestSupport.clock())) {
      assertEquals(10, log.highWatermark());
    }
  }
}
