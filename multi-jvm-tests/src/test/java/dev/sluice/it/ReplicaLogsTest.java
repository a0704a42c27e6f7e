package dev.sluice.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.PartitionLog;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checker's disk comparison finds what it must: equal logs pass, any difference is named. */
class ReplicaLogsTest {
  private static final StorageSettings SETTINGS = StorageSettings.of(1 << 20, 1 << 19);
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  @TempDir Path dir;

  /** Writes records {@code values} at epoch {@code epoch} on one node's replica. */
  private Path replica(int node, long hw, int epoch, String... values) throws IOException {
    Path d = dir.resolve("node-" + node).resolve("t-0");
    try (PartitionLog log = PartitionLog.open(d, SETTINGS, CLOCK)) {
      for (String v : values) {
        log.appendRecords(List.of(Record.of(null, v.getBytes(UTF_8), 0L)), epoch);
      }
      log.updateHighWatermark(hw);
    }
    return d;
  }

  private ReplicaLogs open(Map<Integer, Path> dirs) throws IOException {
    return ReplicaLogs.open("t-0", dirs, node -> SETTINGS);
  }

  @Test
  void identicalReplicasAgreeAtEveryOffset() throws IOException {
    Map<Integer, Path> dirs = new TreeMap<>();
    for (int node = 1; node <= 3; node++) {
      dirs.put(node, replica(node, 3, 0, "a", "b", "c"));
    }
    try (ReplicaLogs logs = open(dirs)) {
      ReplicaLogs.Comparison c = logs.compare();
      assertTrue(c.identical(), c.toString());
      assertEquals(3, c.highWatermark());
      assertEquals(3, c.comparedOffsets());
      assertArrayEquals("b".getBytes(UTF_8), logs.value(2, 1).orElseThrow());
    }
  }

  @Test
  void aDifferentRecordBelowTheHighWatermarkIsCountedAndNamed() throws IOException {
    Map<Integer, Path> dirs = new TreeMap<>();
    dirs.put(1, replica(1, 3, 0, "a", "b", "y"));
    dirs.put(2, replica(2, 3, 0, "a", "b", "x"));
    dirs.put(3, replica(3, 3, 0, "a", "b", "y"));
    try (ReplicaLogs logs = open(dirs)) {
      ReplicaLogs.Comparison c = logs.compare();
      assertEquals(1, c.divergedOffsets(), c.toString());
      String first = c.firstDifference().orElseThrow();
      assertTrue(first.startsWith("t-0 offset 2:"), first);
      assertTrue(first.contains("node 2 [batch 2..2") && first.contains("\"x\""), first);
    }
  }

  @Test
  void theSameValueWrittenInAnotherEpochIsADifference() throws IOException {
    Map<Integer, Path> dirs = new TreeMap<>();
    dirs.put(1, replica(1, 2, 0, "a", "b"));
    dirs.put(2, replica(2, 2, 1, "a", "b"));
    try (ReplicaLogs logs = open(dirs)) {
      assertEquals(2, logs.compare().divergedOffsets());
    }
  }

  @Test
  void aReplicaEndingBelowTheHighestHighWatermarkDivergesAtEachMissingOffset() throws IOException {
    Map<Integer, Path> dirs = new TreeMap<>();
    dirs.put(1, replica(1, 4, 0, "a", "b", "c", "d"));
    dirs.put(2, replica(2, 2, 0, "a", "b"));
    try (ReplicaLogs logs = open(dirs)) {
      ReplicaLogs.Comparison c = logs.compare();
      assertEquals(4, c.highWatermark());
      assertEquals(2, c.divergedOffsets(), c.toString());
      assertTrue(
          c.firstDifference().orElseThrow().contains("missing: log ends at 2"), c.toString());
    }
  }

  @Test
  void recordsAboveEveryHighWatermarkMayDiffer() throws IOException {
    Map<Integer, Path> dirs = new TreeMap<>();
    dirs.put(1, replica(1, 2, 0, "a", "b", "x"));
    dirs.put(2, replica(2, 2, 0, "a", "b"));
    try (ReplicaLogs logs = open(dirs)) {
      assertTrue(logs.compare().identical());
    }
  }

  @Test
  void aPartialReplicaIsHeldOnlyToWhatItCommitted() throws IOException {
    Map<Integer, Path> dirs = new TreeMap<>();
    dirs.put(1, replica(1, 4, 1, "a", "b", "c", "d"));
    dirs.put(2, replica(2, 4, 1, "a", "b", "c", "d"));
    dirs.put(3, replica(3, 2, 1, "a", "b", "stale"));
    try (ReplicaLogs logs = open(dirs)) {
      assertEquals(2, logs.compare().divergedOffsets(), "held to everything");
      assertTrue(logs.compare(Set.of(3)).identical(), "held to its own high watermark 2");
    }
    Map<Integer, Path> wrong = new TreeMap<>();
    wrong.put(1, replica(4, 2, 1, "a", "b"));
    wrong.put(2, replica(5, 2, 1, "a", "x", "c"));
    try (ReplicaLogs logs = open(wrong)) {
      assertEquals(1, logs.compare(Set.of(2)).divergedOffsets(), "what it committed must agree");
    }
  }

  @Test
  void aMissingReplicaDivergesEverywhereBelowTheHighWatermark() throws IOException {
    Map<Integer, Path> dirs = new TreeMap<>();
    dirs.put(1, replica(1, 2, 0, "a", "b"));
    dirs.put(2, dir.resolve("node-2").resolve("t-0"));
    try (ReplicaLogs logs = open(dirs)) {
      assertEquals(List.of(2), logs.missing());
      assertEquals(2, logs.compare().divergedOffsets());
    }
  }
}
