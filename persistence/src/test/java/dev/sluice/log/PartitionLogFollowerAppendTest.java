package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.BatchLayout;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.format.Record;
import dev.sluice.log.staging.ResumeKey;
import dev.sluice.log.staging.StagedFile;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The follower path: appending a leader's batch bytes as they are. */
class PartitionLogFollowerAppendTest {
  @TempDir Path dir;

  /** Where the leader's second batch starts in its segment. */
  private static long secondBatchPosition(PartitionLog leader) throws IOException {
    return leader.read(leader.read(0, 1).nextOffset(), 1).slices().get(0).position();
  }

  /** Flips a bit in the first record of the batch at {@code batch}; returns the byte's index. */
  private static int flipARecordByteOfTheBatchAt(ByteBuffer bytes, long batch) {
    int flip = (int) batch + BatchLayout.HEADER_BYTES + 3;
    bytes.put(flip, (byte) (bytes.get(flip) ^ 0x10));
    return flip;
  }

  private PartitionLog leaderWith(int batches) throws IOException {
    PartitionLog leader = PartitionLog.open(dir.resolve("leader"), settings(), clock());
    Random random = new Random(7);
    for (int i = 0; i < batches; i++) {
      long o = leader.logEndOffset();
      int records = 1 + random.nextInt(3);
      List<Record> rs = new java.util.ArrayList<>();
      for (int r = 0; r < records; r++) {
        rs.add(LogTestSupport.record(o + r, random.nextInt(2000)));
      }
      leader.appendRecords(rs, 1 + i / 50);
    }
    return leader;
  }

  @Test
  void appendBatchesFromTheLeaderReproducesAByteIdenticalLog() throws IOException {
    try (PartitionLog leader = leaderWith(150);
        PartitionLog follower = PartitionLog.open(dir.resolve("follower"), settings(), clock())) {
      long offset = 0;
      while (offset < leader.logEndOffset()) {
        FetchResult r = leader.read(offset, 10_000);
        AppendInfo info = follower.appendBatches(LogTestSupport.bytesOf(r));
        assertEquals(offset, info.baseOffset());
        assertEquals(r.sizeInBytes(), info.sizeInBytes());
        offset = r.nextOffset();
      }
      assertEquals(leader.logEndOffset(), follower.logEndOffset());
      assertEquals(leader.latestLeaderEpoch(), follower.latestLeaderEpoch());
      LogFixtures.assertSegmentsIdentical(leader.dir(), follower.dir());
    }
  }

  /**
   * {@code bytes} cut into pieces of the given sizes, in turn (the last piece takes the rest), each
   * a slice of its own array with bytes around it, as the buffers of a frame received in pieces.
   */
  private static List<ByteBuffer> cutInto(ByteBuffer bytes, int... sizes) {
    List<ByteBuffer> pieces = new java.util.ArrayList<>();
    ByteBuffer rest = bytes.duplicate();
    for (int i = 0; rest.hasRemaining(); i++) {
      int n = Math.min(sizes[i % sizes.length], rest.remaining());
      byte[] array = new byte[n + 7];
      java.util.Arrays.fill(array, (byte) 0x5a); // bytes outside the piece must never be written
      ByteBuffer piece = ByteBuffer.wrap(array, 3, n);
      piece.duplicate().put(rest.slice(rest.position(), n));
      pieces.add(piece.asReadOnlyBuffer());
      rest.position(rest.position() + n);
    }
    return pieces;
  }

  @Test
  void batchesScatteredOverManyPiecesReproduceAByteIdenticalLog() throws IOException {
    // Piece sizes chosen so that batch headers (61 bytes), CRCs and batch ends fall at every kind
    // of place: inside a piece, on a piece boundary, and cut over two or more pieces.
    int[][] cuts = {{1}, {7, 60, 61, 62}, {13, 1000, 3}, {4096}, {70_000}};
    try (PartitionLog leader = leaderWith(80)) {
      for (int[] sizes : cuts) {
        Path name = dir.resolve("follower-" + java.util.Arrays.toString(sizes));
        try (PartitionLog follower = PartitionLog.open(name, settings(), clock())) {
          long offset = 0;
          while (offset < leader.logEndOffset()) {
            FetchResult r = leader.read(offset, 10_000);
            List<ByteBuffer> pieces = cutInto(LogTestSupport.bytesOf(r), sizes);
            List<Integer> positions = pieces.stream().map(ByteBuffer::position).toList();
            AppendInfo info = follower.appendBatches(pieces);
            assertEquals(offset, info.baseOffset());
            assertEquals(r.sizeInBytes(), info.sizeInBytes());
            assertEquals(positions, pieces.stream().map(ByteBuffer::position).toList());
            offset = r.nextOffset();
          }
          assertEquals(leader.logEndOffset(), follower.logEndOffset(), "pieces " + name);
          LogFixtures.assertSegmentsIdentical(leader.dir(), follower.dir());
        }
      }
    }
  }

  @Test
  void corruptByteInAnyPieceIsRejectedAndNothingIsWritten() throws IOException {
    try (PartitionLog leader = leaderWith(5);
        PartitionLog follower = PartitionLog.open(dir.resolve("follower"), settings(), clock())) {
      ByteBuffer bytes = LogTestSupport.bytesOf(leader.read(0, Long.MAX_VALUE));
      long secondBatch = secondBatchPosition(leader);
      // The second batch's header is cut over pieces of 10 bytes; the flipped byte is a record's.
      int flip = flipARecordByteOfTheBatchAt(bytes, secondBatch);
      List<ByteBuffer> pieces = cutInto(bytes, (int) secondBatch - 5, 10);
      CorruptRecordException e =
          assertThrows(CorruptRecordException.class, () -> follower.appendBatches(pieces));
      assertTrue(
          e.getMessage().contains("position " + secondBatch + ": crc mismatch"), e.getMessage());
      assertEquals(0, follower.logEndOffset());
      assertEquals(0, follower.sizeInBytes());

      bytes.put(flip, (byte) (bytes.get(flip) ^ 0x10)); // intact again, but cut short by one byte
      ByteBuffer cut = bytes.slice(0, bytes.remaining() - 1);
      CorruptRecordException incomplete =
          assertThrows(
              CorruptRecordException.class, () -> follower.appendBatches(cutInto(cut, 10)));
      assertTrue(incomplete.getMessage().contains("incomplete batch"), incomplete.getMessage());
      assertEquals(0, follower.logEndOffset());
    }
  }

  @Test
  void appendBatchFromStagedFilesReproducesAByteIdenticalLog() throws IOException {
    try (PartitionLog leader = leaderWith(60);
        PartitionLog follower = PartitionLog.open(dir.resolve("follower"), settings(), clock())) {
      long offset = 0;
      while (offset < leader.logEndOffset()) {
        FetchResult r = leader.read(offset, 1);
        ByteBuffer batch = LogTestSupport.bytesOf(r);
        ResumeKey key =
            new ResumeKey(offset, batch.remaining(), batch.getInt(BatchLayout.CRC_OFFSET));
        StagedFile staged = follower.staging().resume(key);
        // Chunks, as they would arrive over the wire.
        while (batch.hasRemaining()) {
          ByteBuffer chunk = batch.slice(batch.position(), Math.min(700, batch.remaining()));
          batch.position(batch.position() + chunk.remaining());
          staged.write(chunk);
        }
        follower.appendStagedBatch(staged);
        assertFalse(Files.exists(staged.path()), "deleted after the append");
        offset = r.nextOffset();
      }
      LogFixtures.assertSegmentsIdentical(leader.dir(), follower.dir());
    }
  }

  @Test
  void crcFlipIsRejectedNamingPositionAndValuesAndNothingIsWritten() throws IOException {
    try (PartitionLog leader = leaderWith(5);
        PartitionLog follower = PartitionLog.open(dir.resolve("follower"), settings(), clock())) {
      ByteBuffer bytes = LogTestSupport.bytesOf(leader.read(0, Long.MAX_VALUE));
      long secondBatch = secondBatchPosition(leader);
      flipARecordByteOfTheBatchAt(bytes, secondBatch);
      CorruptRecordException e =
          assertThrows(CorruptRecordException.class, () -> follower.appendBatches(bytes));
      assertTrue(
          e.getMessage().contains("position " + secondBatch + ": crc mismatch"), e.getMessage());
      assertTrue(e.getMessage().matches(".*stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}"));
      assertEquals(0, follower.logEndOffset());
      assertEquals(0, follower.sizeInBytes());

      Path file = Files.write(dir.resolve("flipped"), toArray(bytes.slice(0, (int) secondBatch)));
      bytes.put(8, (byte) 0x7f); // first batch's length field: now far above segment-bytes
      Path bad = Files.write(dir.resolve("bad-length"), toArray(bytes.slice(0, (int) secondBatch)));
      CorruptRecordException tooLong =
          assertThrows(CorruptRecordException.class, () -> follower.appendBatch(bad));
      assertTrue(
          tooLong.getMessage().contains("exceeds segment-bytes 65536"), tooLong.getMessage());
      assertEquals(0, follower.appendBatch(file).baseOffset());
    }
  }

  @Test
  void batchesThatDoNotStartAtTheLogEndAreRefused() throws IOException {
    try (PartitionLog leader = leaderWith(5);
        PartitionLog follower = PartitionLog.open(dir.resolve("follower"), settings(), clock())) {
      long second = leader.read(0, 1).nextOffset();
      ByteBuffer fromSecond = LogTestSupport.bytesOf(leader.read(second, Long.MAX_VALUE));
      OffsetMismatchException e =
          assertThrows(OffsetMismatchException.class, () -> follower.appendBatches(fromSecond));
      assertEquals(0, e.expected());
      assertEquals(second, e.actual());
      ByteBuffer partial = LogTestSupport.bytesOf(leader.read(0, 1));
      ByteBuffer cut = partial.slice(0, partial.remaining() - 1);
      assertThrows(CorruptRecordException.class, () -> follower.appendBatches(cut));
      assertEquals(0, follower.logEndOffset());
    }
  }

  @Test
  void followerAcceptsABatchAboveItsOwnMaxBatchBytesUpToSegmentBytes() throws IOException {
    try (PartitionLog leader = PartitionLog.open(dir.resolve("leader"), settings(), clock());
        PartitionLog follower =
            PartitionLog.open(dir.resolve("follower"), settings(64 * 1024, 1024), clock())) {
      leader.appendRecords(List.of(Record.of(null, new byte[60_000], TIMESTAMP)), 1);
      AppendInfo info = follower.appendBatches(LogTestSupport.bytesOf(leader.read(0, 1)));
      assertEquals(PartitionLog.batchSizeFor(null, List.of(), 60_000), info.sizeInBytes());
      assertEquals(60_000, follower.locate(0).orElseThrow().valueLength());
    }
  }

  @Test
  void oversizedBatchIsStagedInChunksResumedAfterARestartAndAppended() throws IOException {
    try (PartitionLog leader = PartitionLog.open(dir.resolve("leader"), settings(), clock())) {
      leader.appendRecords(List.of(LogTestSupport.record(0, 50_000)), 1);
      ByteBuffer batch = LogTestSupport.bytesOf(leader.read(0, 1));
      ResumeKey key = new ResumeKey(0, batch.remaining(), batch.getInt(BatchLayout.CRC_OFFSET));
      Path followerDir = dir.resolve("follower");
      try (PartitionLog follower = PartitionLog.open(followerDir, settings(), clock())) {
        StagedFile staged = follower.staging().resume(key);
        staged.write(batch.slice(0, 20_000));
        staged.close();
      }
      try (PartitionLog follower = PartitionLog.open(followerDir, settings(), clock())) {
        assertEquals(20_000, follower.staging().stagedLength(key));
        StagedFile staged = follower.staging().resume(key);
        assertEquals(20_000, staged.position());
        staged.write(batch.slice(20_000, batch.remaining() - 20_000));
        assertEquals(key.totalLength(), staged.position(), "every byte has arrived");
        follower.appendStagedBatch(staged);
        assertEquals(0, follower.staging().stagedLength(key));
        assertArrayEquals(
            LogTestSupport.value(0, 50_000), follower.locate(0).orElseThrow().readValue());
      }
    }
  }

  private static byte[] toArray(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
