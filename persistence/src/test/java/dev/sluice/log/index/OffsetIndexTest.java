package dev.sluice.log.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OffsetIndexTest {
  @TempDir Path dir;

  @Test
  void lookupReturnsTheFloorEntry() throws IOException {
    try (OffsetIndex index = OffsetIndex.open(dir.resolve("i"), 1000)) {
      for (int i = 1; i <= 100; i++) {
        index.append(1000 + i * 10L, i * 100);
      }
      assertNull(index.lookup(1009));
      assertEquals(new IndexEntry(1010, 100), index.lookup(1010));
      assertEquals(new IndexEntry(1010, 100), index.lookup(1019));
      assertEquals(new IndexEntry(1500, 5000), index.lookup(1505));
      assertEquals(new IndexEntry(2000, 10000), index.lookup(Long.MAX_VALUE));
      assertNull(index.sanityCheck(10001));
    }
  }

  @Test
  void reopenedIndexKeepsItsEntries() throws IOException {
    Path file = dir.resolve("i");
    try (OffsetIndex index = OffsetIndex.open(file, 0)) {
      index.append(5, 50);
      index.append(9, 90);
    }
    try (OffsetIndex index = OffsetIndex.open(file, 0)) {
      assertEquals(2, index.entries());
      assertEquals(new IndexEntry(9, 90), index.lastEntry());
    }
  }

  @Test
  void entriesOutOfOrderAreRefused() throws IOException {
    try (OffsetIndex index = OffsetIndex.open(dir.resolve("i"), 0)) {
      index.append(5, 50);
      assertThrows(IllegalArgumentException.class, () -> index.append(5, 60));
      assertThrows(IllegalArgumentException.class, () -> index.append(6, 50));
    }
  }

  @Test
  void sanityCheckNamesDamage() throws IOException {
    Path file = dir.resolve("i");
    try (OffsetIndex index = OffsetIndex.open(file, 0)) {
      index.append(5, 50);
      index.append(9, 90);
      assertNotNull(index.sanityCheck(90), "position at the log end");
    }
    Files.write(file, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
    try (OffsetIndex index = OffsetIndex.open(file, 0)) {
      assertTrue(index.sanityCheck(1000).contains("not a multiple"));
    }
    Files.write(file, ByteBuffer.allocate(16).putInt(9).putInt(90).putInt(5).putInt(50).array());
    try (OffsetIndex index = OffsetIndex.open(file, 0)) {
      assertTrue(index.sanityCheck(1000).contains("not after the previous entry"));
    }
  }

  @Test
  void truncateToLogSizeDropsEntriesPastTheEnd() throws IOException {
    try (OffsetIndex index = OffsetIndex.open(dir.resolve("i"), 0)) {
      index.append(5, 50);
      index.append(9, 90);
      index.append(12, 120);
      index.truncateToLogSize(90);
      assertEquals(1, index.entries());
      assertEquals(new IndexEntry(5, 50), index.lastEntry());
      index.append(7, 70);
      assertEquals(new IndexEntry(7, 70), index.lookup(100));
    }
  }
}
