package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.segment.SegmentFiles;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Logs in Sluice's format 1 are refused, naming every one, and nothing on disk is changed. */
class LogFormatTest {
  @TempDir Path root;

  private static void writeFormat1Log(Path dir, long baseOffset) throws IOException {
    LogFixtures.writeFormat1Segment(dir, baseOffset);
  }

  @Test
  void aFormat1LogIsRefusedNamingFilePositionAndMagicsAndNothingChanges() throws IOException {
    Path dir = root.resolve("orders-0");
    writeFormat1Log(dir, 0);
    Path segment = SegmentFiles.logFile(dir, 0);
    byte[] before = Files.readAllBytes(segment);
    UnsupportedLogFormatException e =
        assertThrows(
            UnsupportedLogFormatException.class, () -> PartitionLog.open(dir, settings(), clock()));
    assertEquals(
        segment
            + " position 0: magic 1: this version reads only Kafka's RecordBatch v2 (magic 2)."
            + " Nothing was changed; docs/upgrading.md explains why there is no in-place"
            + " conversion.",
        e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(segment));
    try (var files = Files.list(dir)) {
      assertEquals(List.of(segment), files.toList(), "no marker, index or checkpoint written");
    }
  }

  @Test
  void theNodeCheckListsEveryRefusedLogOnceAndChangesNothing() throws IOException {
    Path dataDir = root.resolve("node-2");
    writeFormat1Log(dataDir.resolve("orders-0"), 0);
    writeFormat1Log(dataDir.resolve("orders-1"), 0);
    writeFormat1Log(dataDir.resolve("audit-0"), 4096);
    try (PartitionLog log = PartitionLog.open(dataDir.resolve("fresh-0"), settings(), clock())) {
      LogTestSupport.appendBatches(log, 3, 10);
    }
    Files.createDirectories(dataDir.resolve("controller-journal"));
    Files.writeString(dataDir.resolve("storage-id"), "x");

    UnsupportedLogFormatException e =
        assertThrows(
            UnsupportedLogFormatException.class,
            () -> LogFormat.requireAll(dataDir, "node 2", d -> true));
    assertEquals(
        "node 2 cannot start: 3 partition logs under "
            + dataDir
            + " are in Sluice's format 1 (batch magic 1); this version reads only Kafka's"
            + " RecordBatch v2 (magic 2):\n"
            + "  audit-0/00000000000000004096.log position 0: magic 1\n"
            + "  orders-0/00000000000000000000.log position 0: magic 1\n"
            + "  orders-1/00000000000000000000.log position 0: magic 1\n"
            + "Nothing was changed. Stop every node, move each node's data directory (including"
            + " the controller journal) aside and start the cluster empty; docs/upgrading.md"
            + " explains why there is no in-place conversion.",
        e.getMessage());
    assertFalse(Files.exists(dataDir.resolve("orders-0").resolve(LogFormat.MARKER_FILE)));
    assertEquals(
        List.of("orders-1/00000000000000000000.log position 0: magic 1"),
        LogFormat.check(dataDir, d -> d.getFileName().toString().startsWith("orders-1")),
        "only the directories the filter accepts");
  }

  @Test
  void aV2LogWithoutMarkerIsAcceptedAndGetsTheMarker() throws IOException {
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      LogTestSupport.appendBatches(log, 5, 100);
    }
    Files.delete(dir.resolve(LogFormat.MARKER_FILE));
    assertEquals(List.of(), LogFormat.check(root));
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals(5, log.logEndOffset());
      LogTestSupport.assertRecordsIntact(log, 0, 5, 100);
    }
    assertEquals("2", markerOf(dir));
  }

  @Test
  void aNewDirectoryGetsTheMarker() throws IOException {
    Path dir = root.resolve("p");
    try (PartitionLog log = PartitionLog.open(dir, settings(), clock())) {
      assertEquals("2", markerOf(dir));
    }
  }

  @Test
  void aMarkerNamingAnotherFormatIsRefused() throws IOException {
    Path dir = root.resolve("p");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(LogFormat.MARKER_FILE), "3\n");
    UnsupportedLogFormatException e =
        assertThrows(
            UnsupportedLogFormatException.class, () -> PartitionLog.open(dir, settings(), clock()));
    assertTrue(
        e.getMessage().startsWith(dir.resolve(LogFormat.MARKER_FILE) + " says format 3: "),
        e.getMessage());
    assertEquals(List.of("p/log-format says format 3"), LogFormat.check(root));
  }

  private static String markerOf(Path dir) throws IOException {
    return Files.readString(dir.resolve(LogFormat.MARKER_FILE), StandardCharsets.US_ASCII).trim();
  }
}
