package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The high watermark moves up only; truncation is the one thing that lowers it. */
class PartitionLogHighWatermarkTest {
  @TempDir Path root;

  @Test
  void updatesNeverLowerTheHighWatermarkAndTheCheckpointKeepsTheHighest() throws IOException {
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      LogTestSupport.appendBatches(log, 10, 100);
      log.updateHighWatermark(7);
      assertEquals(7, log.highWatermark());
      log.updateHighWatermark(3);
      assertEquals(7, log.highWatermark(), "a lower value (a new leader's, a late one) is ignored");
      log.updateHighWatermark(-5);
      assertEquals(7, log.highWatermark());
      log.updateHighWatermark(8);
      assertEquals(8, log.highWatermark());
      log.updateHighWatermark(500);
      assertEquals(10, log.highWatermark(), "clamped to the log end");
      log.updateHighWatermark(9);
      assertEquals(10, log.highWatermark());
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(10, log.highWatermark());
    }
  }

  @Test
  void onlyTruncationLowersIt() throws IOException {
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      LogTestSupport.appendBatches(log, 10, 100);
      log.updateHighWatermark(10);
      log.truncateTo(6);
      assertEquals(6, log.highWatermark());
      log.updateHighWatermark(2);
      assertEquals(6, log.highWatermark());
      LogTestSupport.appendBatches(log, 4, 100);
      log.updateHighWatermark(9);
      assertEquals(9, log.highWatermark());
      log.truncateFullyAndStartAt(3);
      assertEquals(3, log.highWatermark());
      log.updateHighWatermark(0);
      assertEquals(3, log.highWatermark());
    }
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(3, log.highWatermark());
    }
  }
}
