package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.FileRegion;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader streams a window's regions through {@code FileIO} in pieces no larger than {@link
 * RegionBytes#MAX_PIECE_BYTES}: the stream must hold exactly the regions' bytes, in order, wherever
 * region and piece boundaries fall, and fail naming the file when a file is shorter than its region
 * or gone.
 */
class RegionBytesTest {
  private static final int PIECE = RegionBytes.MAX_PIECE_BYTES;
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private Path fileOf(String name, int size, long seed) throws Exception {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return Files.write(dir.resolve(name), bytes);
  }

  private static byte[] expected(List<FileRegion> regions) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (FileRegion r : regions) {
      byte[] all = Files.readAllBytes(r.file());
      out.write(all, (int) r.position(), (int) r.length());
    }
    return out.toByteArray();
  }

  private static List<ByteString> pieces(List<FileRegion> regions) throws Exception {
    return RegionBytes.of(regions)
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture()
        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static Throwable failureOf(List<FileRegion> regions) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> pieces(regions));
    return e.getCause();
  }

  @Test
  void theStreamHoldsTheRegionsBytesInPiecesNoLargerThanTheLimit() throws Exception {
    Path a = fileOf("a", 3 * PIECE + 1000, 1);
    Path b = fileOf("b", 2 * PIECE, 2);
    List<List<FileRegion>> cases =
        List.of(
            List.of(new FileRegion(a, 0, 1)),
            List.of(new FileRegion(a, 17, PIECE)),
            List.of(new FileRegion(a, 0, PIECE + 1)),
            List.of(new FileRegion(a, 5, 3 * PIECE)),
            // A region that ends where its file does.
            List.of(new FileRegion(a, PIECE, 2 * PIECE + 1000)),
            // Regions whose ends fall before, on and after piece boundaries, over two files.
            List.of(
                new FileRegion(a, 0, PIECE - 1),
                new FileRegion(a, PIECE - 1, 2),
                new FileRegion(b, 100, PIECE),
                new FileRegion(a, 2 * PIECE, PIECE + 1000)),
            List.of(new FileRegion(b, 0, 61), new FileRegion(a, 0, 2 * PIECE)),
            List.of(new FileRegion(a, 3, 0), new FileRegion(b, 7, 9)));
    for (List<FileRegion> regions : cases) {
      List<ByteString> pieces = pieces(regions);
      ByteString all = pieces.stream().reduce(ByteString.emptyByteString(), ByteString::concat);
      assertArrayEquals(expected(regions), all.toArray(), regions.toString());
      long fewest = regions.stream().mapToLong(r -> (r.length() + PIECE - 1) / PIECE).sum();
      assertEquals(fewest, pieces.size(), regions.toString());
      for (ByteString p : pieces) {
        assertTrue(p.size() <= PIECE, p.size() + " bytes in one piece");
      }
    }
  }

  @Test
  void piecesAreTheFewestOfAtMostTheLimitAndEqualWithinAByte() {
    assertEquals(1, RegionBytes.pieceBytes(1));
    assertEquals(PIECE - 1, RegionBytes.pieceBytes(PIECE - 1));
    assertEquals(PIECE, RegionBytes.pieceBytes(PIECE));
    assertEquals(PIECE / 2 + 1, RegionBytes.pieceBytes(PIECE + 1));
    assertEquals(PIECE, RegionBytes.pieceBytes(2L * PIECE));
    assertEquals(PIECE * 2 / 3 + 1, RegionBytes.pieceBytes(2L * PIECE + 1));
    // A 16 MiB batch: 64 pieces of 256 KiB; one byte more: 65 pieces, none above the limit.
    assertEquals(PIECE, RegionBytes.pieceBytes(16L << 20));
    assertEquals(258_112, RegionBytes.pieceBytes((16L << 20) + 1));
    assertThrows(IllegalArgumentException.class, () -> RegionBytes.pieceBytes(0));
  }

  @Test
  void aFileShorterThanItsRegionFailsNamingFileAndPosition() throws Exception {
    Path a = fileOf("a", PIECE + 10, 3);
    Throwable eof = failureOf(List.of(new FileRegion(a, 100, PIECE)));
    assertInstanceOf(EOFException.class, eof);
    assertTrue(eof.getMessage().contains(a.toString()), eof.getMessage());
    assertTrue(
        eof.getMessage().contains("file ends at position " + (PIECE + 10)), eof.getMessage());
    // A region wholly past the end of its file.
    Throwable past = failureOf(List.of(new FileRegion(a, PIECE + 10, 5)));
    assertInstanceOf(EOFException.class, past);
  }

  @Test
  void aDeletedFileFailsTheStream() throws Exception {
    Path a = fileOf("a", 1000, 4);
    Files.delete(a);
    assertInstanceOf(NoSuchFileException.class, failureOf(List.of(new FileRegion(a, 0, 10))));
  }
}
