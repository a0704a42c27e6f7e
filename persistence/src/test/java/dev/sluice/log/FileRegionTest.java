package dev.sluice.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileRegionTest {
  @TempDir Path dir;

  private Path fileOf(int size) throws IOException {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) (i * 13);
    }
    return Files.write(dir.resolve("segment"), bytes);
  }

  @Test
  void readsExactlyTheRegionWhereverTheTargetStarts() throws IOException {
    Path file = fileOf(1000);
    byte[] all = Files.readAllBytes(file);
    FileRegion region = new FileRegion(file, 100, 300);

    byte[] into = new byte[310];
    region.readFully(into, 10);
    assertArrayEquals(Arrays.copyOfRange(all, 100, 400), Arrays.copyOfRange(into, 10, 310));
    assertArrayEquals(new byte[10], Arrays.copyOfRange(into, 0, 10), "nothing before the index");

    ByteBuffer buf = ByteBuffer.allocate(500).position(7);
    region.readInto(buf);
    assertEquals(307, buf.position());
    assertEquals(ByteBuffer.wrap(all, 100, 300), buf.flip().position(7));
  }

  @Test
  void aRegionIsFollowedOnlyByOneStartingWhereItEndsInTheSameFile() {
    Path file = dir.resolve("a");
    FileRegion region = new FileRegion(file, 100, 300);

    assertTrue(region.isFollowedBy(new FileRegion(file, 400, 1)));
    assertFalse(region.isFollowedBy(new FileRegion(file, 401, 1)), "a gap");
    assertFalse(region.isFollowedBy(new FileRegion(file, 399, 1)), "an overlap");
    assertFalse(region.isFollowedBy(new FileRegion(dir.resolve("b"), 400, 1)), "another file");
  }

  @ParameterizedTest(name = "pieces of {0} bytes")
  @ValueSource(ints = {1, 7, 299, 300, 4096})
  void aReaderStreamsTheRegionInPiecesOfTheCallersBuffer(int piece) throws IOException {
    Path file = fileOf(1000);
    ByteBuffer out = ByteBuffer.allocate(300);
    try (FileRegion.Reader reader = new FileRegion(file, 100, 300).open()) {
      ByteBuffer buf = ByteBuffer.allocate(piece);
      while (reader.remaining() > 0) {
        buf.clear();
        int n = reader.read(buf);
        assertEquals(Math.min(piece, 300 - out.position()), n);
        out.put(buf.flip());
      }
      assertEquals(0, reader.read(buf.clear()), "nothing after the region");
    }
    assertArrayEquals(Arrays.copyOfRange(Files.readAllBytes(file), 100, 400), out.array());
  }

  @Test
  void aFileCutShortOfTheRegionIsNamedWithThePosition() throws IOException {
    Path file = fileOf(350);
    EOFException e =
        assertThrows(
            EOFException.class, () -> new FileRegion(file, 100, 300).readFully(new byte[300], 0));
    assertEquals(
        file + ": file ends at position 350, inside the region of 300 bytes at 100",
        e.getMessage());
  }

  @Test
  void impossibleRegionsAndTooSmallTargetsAreRefused() throws IOException {
    Path file = fileOf(10);
    assertThrows(IllegalArgumentException.class, () -> new FileRegion(file, -1, 5));
    assertThrows(IllegalArgumentException.class, () -> new FileRegion(file, 0, -5));
    assertThrows(
        IllegalArgumentException.class,
        () -> new FileRegion(file, 0, 10).readInto(ByteBuffer.allocate(9)));
    assertThrows(IllegalArgumentException.class, () -> new LogSlice(file, 0, 0, 5, 5));
    assertThrows(IllegalArgumentException.class, () -> new LogSlice(file, -1, 10, 5, 5));
    assertThrows(IllegalArgumentException.class, () -> new LogSlice(file, 0, 10, 5, 4));
    assertEquals(new FileRegion(file, 3, 7), new LogSlice(file, 3, 7, 0, 0).region());
  }
}
