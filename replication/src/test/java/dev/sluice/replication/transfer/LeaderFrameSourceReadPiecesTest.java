package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.FileRegion;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader reads a frame's regions into arrays no larger than {@link
 * LeaderFrameSource#READ_PIECE_BYTES}: the payload must hold exactly the regions' bytes, in order,
 * wherever region and piece boundaries fall.
 */
class LeaderFrameSourceReadPiecesTest {
  private static final int PIECE = LeaderFrameSource.READ_PIECE_BYTES;

  @TempDir Path dir;

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

  private static long total(List<FileRegion> regions) {
    return regions.stream().mapToLong(FileRegion::length).sum();
  }

  @Test
  void payloadHoldsTheRegionsBytesInPiecesNoLargerThanTheLimit() throws Exception {
    Path a = fileOf("a", 3 * PIECE + 1000, 1);
    Path b = fileOf("b", 2 * PIECE, 2);
    List<List<FileRegion>> cases =
        List.of(
            List.of(new FileRegion(a, 0, 1)),
            List.of(new FileRegion(a, 17, PIECE)),
            List.of(new FileRegion(a, 0, PIECE + 1)),
            List.of(new FileRegion(a, 5, 3 * PIECE)),
            // Regions whose ends fall before, on and after piece boundaries, over two files.
            List.of(
                new FileRegion(a, 0, PIECE - 1),
                new FileRegion(a, PIECE - 1, 2),
                new FileRegion(b, 100, PIECE),
                new FileRegion(a, 2 * PIECE, PIECE + 1000)),
            List.of(new FileRegion(b, 0, 61), new FileRegion(a, 0, 2 * PIECE)));
    for (List<FileRegion> regions : cases) {
      ByteString payload = LeaderFrameSource.readPieces(regions, total(regions));
      assertArrayEquals(expected(regions), payload.toArray(), regions.toString());
      List<ByteBuffer> pieces = new ArrayList<>();
      payload.getByteBuffers().forEach(pieces::add);
      assertEquals((total(regions) + PIECE - 1) / PIECE, pieces.size(), regions.toString());
      for (ByteBuffer p : pieces) {
        assertTrue(p.remaining() <= PIECE, p.remaining() + " bytes in one piece");
      }
    }
  }

  @Test
  void regionsThatDoNotMatchThePlannedSizeAreAnError() throws Exception {
    Path a = fileOf("a", PIECE + 10, 3);
    List<FileRegion> regions = List.of(new FileRegion(a, 0, PIECE + 10));
    IllegalStateException more =
        assertThrows(
            IllegalStateException.class, () -> LeaderFrameSource.readPieces(regions, PIECE));
    assertTrue(
        more.getMessage().contains("more than the frame's planned " + PIECE), more.getMessage());
    IllegalStateException fewer =
        assertThrows(
            IllegalStateException.class, () -> LeaderFrameSource.readPieces(regions, PIECE + 11));
    assertTrue(fewer.getMessage().contains("fewer than the frame's planned"), fewer.getMessage());
    // A region past the end of its file (cut since it was planned) fails naming the file.
    List<FileRegion> cut = List.of(new FileRegion(a, 100, PIECE));
    EOFException eof =
        assertThrows(EOFException.class, () -> LeaderFrameSource.readPieces(cut, PIECE));
    assertTrue(eof.getMessage().contains(a.toString()), eof.getMessage());
  }
}
