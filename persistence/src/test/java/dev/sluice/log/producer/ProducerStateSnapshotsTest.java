package dev.sluice.log.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.producer.ProducerStateSnapshots.Snapshot;
import dev.sluice.log.producer.ProducerStateTable.ProducerBatch;
import dev.sluice.log.producer.ProducerStateTable.ProducerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot file: what is written reads back, and a damaged one is never taken for the truth.
 */
class ProducerStateSnapshotsTest {
  @TempDir Path dir;

  private static final List<ProducerState> ENTRIES =
      List.of(
          new ProducerState(
              7,
              (short) 1,
              List.of(
                  new ProducerBatch(0, 4, 10, 14, 1000),
                  new ProducerBatch(5, 5, 20, 20, 1002),
                  new ProducerBatch(Integer.MAX_VALUE, 1, 30, 32, 1001)),
              1002),
          new ProducerState(
              Long.MAX_VALUE, (short) 0, List.of(new ProducerBatch(0, 0, 40, 40, -1)), -1));

  @Test
  void whatIsWrittenReadsBack() throws IOException {
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(dir);
    snapshots.write(41, ENTRIES);
    assertEquals(new Snapshot(41, ENTRIES), snapshots.loadNewest(41).orElseThrow());
    assertEquals(
        dir.resolve("producer-state").resolve("00000000000000000041.snapshot"), snapshots.file(41));
  }

  @Test
  void anEmptyTableReadsBackEmpty() throws IOException {
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(dir);
    snapshots.write(0, List.of());
    assertEquals(new Snapshot(0, List.of()), snapshots.loadNewest(100).orElseThrow());
  }

  @Test
  void theNewestAtOrBelowTheLimitIsLoaded() throws IOException {
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(dir);
    assertEquals(Optional.empty(), snapshots.loadNewest(Long.MAX_VALUE));
    snapshots.write(10, ENTRIES.subList(0, 1));
    snapshots.write(41, ENTRIES);
    assertEquals(41, snapshots.loadNewest(41).orElseThrow().offset());
    assertEquals(10, snapshots.loadNewest(40).orElseThrow().offset());
    assertEquals(Optional.empty(), snapshots.loadNewest(9));
  }

  @Test
  void aDamagedSnapshotIsDeletedAndTheOlderOneIsUsed() throws IOException {
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(dir);
    snapshots.write(10, ENTRIES.subList(0, 1));
    snapshots.write(41, ENTRIES);
    Path newest = snapshots.file(41);
    byte[] bytes = Files.readAllBytes(newest);
    bytes[bytes.length - 3] ^= 1;
    Files.write(newest, bytes);

    Snapshot loaded = snapshots.loadNewest(41).orElseThrow();

    assertEquals(new Snapshot(10, ENTRIES.subList(0, 1)), loaded);
    assertFalse(Files.exists(newest));
  }

  @Test
  void everyKindOfDamageIsRefusedWithItsReason() {
    byte[] good = ProducerStateSnapshots.encode(41, ENTRIES);
    assertEquals(new Snapshot(41, ENTRIES), ProducerStateSnapshots.decode(good, 41, "f"));

    byte[] flipped = good.clone();
    flipped[20] ^= 0x40;
    assertRefused(flipped, 41, "CRC-32C");

    byte[] version = good.clone();
    version[1] = 9;
    assertRefused(version, 41, "version 9");

    assertRefused(good, 40, "named 40");
    assertRefused(Arrays.copyOf(good, 10), 41, "below the header");

    byte[] cut = ProducerStateSnapshots.encode(41, ENTRIES);
    byte[] shorter = recrc(Arrays.copyOf(cut, cut.length - 8));
    assertRefused(shorter, 41, "cut short");

    byte[] longer = recrc(Arrays.copyOf(good, good.length + 4));
    assertRefused(longer, 41, "4 bytes after the 2 entries");
  }

  private static byte[] recrc(byte[] bytes) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(bytes, 6, bytes.length - 6);
    java.nio.ByteBuffer.wrap(bytes).putInt(2, (int) crc.getValue());
    return bytes;
  }

  private static void assertRefused(byte[] bytes, long offset, String reason) {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> ProducerStateSnapshots.decode(bytes, offset, "snap"));
    assertTrue(e.getMessage().startsWith("snap: "), e.getMessage());
    assertTrue(e.getMessage().contains(reason), e.getMessage());
  }

  @Test
  void deletionsKeepWhatRecoveryAndTruncationNeed() throws IOException {
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(dir);
    for (long o : List.of(0L, 10L, 20L, 25L, 30L, 40L)) {
      snapshots.write(o, List.of());
    }
    snapshots.deleteAbove(30);
    assertEquals(new TreeSet<>(List.of(0L, 10L, 20L, 25L, 30L)), snapshots.offsets());
    snapshots.deleteBetween(20, 30);
    assertEquals(new TreeSet<>(List.of(0L, 10L, 20L, 30L)), snapshots.offsets());
    snapshots.deleteBelowKeepingNewest(20);
    assertEquals(new TreeSet<>(List.of(20L, 30L)), snapshots.offsets());
    snapshots.deleteBelowKeepingNewest(100);
    assertEquals(new TreeSet<>(List.of(30L)), snapshots.offsets());
    snapshots.deleteAll();
    assertTrue(snapshots.offsets().isEmpty());
  }

  @Test
  void leftoversOfAnInterruptedWriteAreDeletedAndNeverLoaded() throws IOException {
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(dir);
    snapshots.write(10, ENTRIES);
    Path leftover = snapshots.dir().resolve("00000000000000000020.snapshot.tmp");
    Files.write(leftover, new byte[] {1, 2, 3});
    assertEquals(10, snapshots.loadNewest(100).orElseThrow().offset());
    snapshots.deleteLeftovers();
    assertFalse(Files.exists(leftover));
    assertEquals(new TreeSet<>(List.of(10L)), snapshots.offsets());
  }
}
