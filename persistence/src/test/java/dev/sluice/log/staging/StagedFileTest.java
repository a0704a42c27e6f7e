package dev.sluice.log.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.format.BatchLayout;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.record.BatchFiles;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagedFileTest {
  @TempDir Path dir;

  /** One real batch of a record of {@code valueBytes}, as a leader's log holds it. */
  private ByteBuffer batch(int valueBytes) throws IOException {
    try (PartitionLog leader =
        PartitionLog.open(
            dir.resolve("leader"), LogTestSupport.settings(), LogTestSupport.clock())) {
      leader.appendRecords(List.of(LogTestSupport.record(0, valueBytes)), 1);
      return LogTestSupport.bytesOf(leader.read(0, 1));
    }
  }

  private static ResumeKey keyOf(ByteBuffer batch) {
    return new ResumeKey(0, batch.remaining(), batch.getInt(BatchLayout.CRC_OFFSET));
  }

  /** Writes {@code batch[from, to)} in pieces of {@code piece} bytes. */
  private static void write(StagedFile f, ByteBuffer batch, int from, int to, int piece)
      throws IOException {
    for (int at = from; at < to; at += piece) {
      f.write(batch.slice(at, Math.min(piece, to - at)));
    }
  }

  /** Overwrites one byte of the file behind the staged file's back. */
  private static void flipOnDisk(Path file, long position) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, position);
      b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
      ch.write(b, position);
    }
  }

  @Test
  void theCrcOfAFileWrittenFromItsFirstByteComesFromTheChunksNotFromReadingTheFile()
      throws IOException {
    ByteBuffer batch = batch(50_000);
    int stored = batch.getInt(BatchLayout.CRC_OFFSET);
    // Pieces that end before, at and across the start of the CRC's coverage (byte 21).
    for (int piece :
        new int[] {1, 7, BatchLayout.CRC_COVERAGE_OFFSET, 22, 4096, batch.remaining()}) {
      StagingArea area = StagingArea.open(dir.resolve("staging-" + piece), 0);
      try (StagedFile f = area.resume(keyOf(batch))) {
        write(f, batch, 0, batch.remaining(), piece);
        flipOnDisk(f.path(), batch.remaining() - 1);
        assertEquals(stored, f.coveredCrc(), "pieces of " + piece + " bytes");
      }
    }
  }

  @Test
  void aFileResumedWithBytesStagedBeforeIsReadBackOnceForItsCrc() throws IOException {
    ByteBuffer batch = batch(50_000);
    int stored = batch.getInt(BatchLayout.CRC_OFFSET);
    StagingArea area = StagingArea.open(dir.resolve("staging"), 0);
    try (StagedFile first = area.resume(keyOf(batch))) {
      write(first, batch, 0, 20_000, 700);
    }
    try (StagedFile resumed = area.resume(keyOf(batch))) {
      assertEquals(20_000, resumed.position());
      write(resumed, batch, 20_000, batch.remaining(), 700);
      try (FileChannel ch = FileChannel.open(resumed.path(), StandardOpenOption.READ)) {
        assertEquals(BatchFiles.computeCrc(ch, 0, batch.remaining()), resumed.coveredCrc());
      }
      assertEquals(stored, resumed.coveredCrc());
      flipOnDisk(resumed.path(), 30_000);
      assertEquals(stored, resumed.coveredCrc(), "read once: not again after the first time");
    }
  }

  @Test
  void aFileShorterThanTheCoverageStartHasTheCrcOfNoBytes() throws IOException {
    ByteBuffer batch = batch(10);
    StagingArea area = StagingArea.open(dir.resolve("staging"), 0);
    try (StagedFile f = area.resume(keyOf(batch))) {
      write(f, batch, 0, 5, 5);
      assertEquals(0, f.coveredCrc(), "CRC32C of nothing");
      ByteBuffer head = f.read(0, BatchLayout.HEADER_BYTES);
      assertEquals(5, head.remaining(), "a read stops where the file ends");
      assertEquals(batch.slice(0, 5), head);
    }
    try (StagedFile resumed = area.resume(keyOf(batch))) {
      assertEquals(0, resumed.coveredCrc());
    }
  }
}
