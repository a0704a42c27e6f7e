package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.UnsupportedLogFormatException;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.node.replica.ReplicaDirectories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node upgraded onto a data directory of Sluice's format 1 refuses to start before it opens or
 * writes anything, naming every old partition log at once.
 */
class NodeRefusesFormat1LogsTest {
  @TempDir Path dir;

  @Test
  void aNodeOnFormat1LogsRefusesToStartNamingThemAllAndChangesNothing() throws Exception {
    Path dataDir = dir.resolve("node-1");
    Path orders0 = LogFixtures.writeFormat1Segment(dataDir.resolve("orders-0"), 0);
    LogFixtures.writeFormat1Segment(dataDir.resolve("orders-1"), 4096);
    // Being deleted: removed at start-up whatever its format, so not a reason to refuse.
    LogFixtures.writeFormat1Segment(
        dataDir.resolve("audit-0" + ReplicaDirectories.DELETED_SUFFIX), 0);
    byte[] before = Files.readAllBytes(orders0);
    List<Path> filesBefore = files(dataDir);

    UnsupportedLogFormatException e =
        assertThrows(
            UnsupportedLogFormatException.class,
            () -> SluiceNode.start(TestNodes.singleNode(dir, Map.of())));

    assertTrue(
        e.getMessage()
            .startsWith(
                "node 1 cannot start: 2 partition logs under "
                    + dataDir
                    + " are in Sluice's format 1 (batch magic 1)"),
        e.getMessage());
    assertTrue(
        e.getMessage().contains("  orders-0/00000000000000000000.log position 0: magic 1\n"),
        e.getMessage());
    assertTrue(
        e.getMessage().contains("  orders-1/00000000000000004096.log position 0: magic 1\n"),
        e.getMessage());
    assertFalse(e.getMessage().contains("audit-0"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(orders0));
    assertEquals(filesBefore, files(dataDir), "no file added, none removed");
  }

  private static List<Path> files(Path root) throws Exception {
    try (Stream<Path> all = Files.walk(root)) {
      return all.sorted().toList();
    }
  }
}
