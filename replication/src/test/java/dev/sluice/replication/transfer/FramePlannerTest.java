package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.*;

import dev.sluice.log.FileRegion;
import dev.sluice.log.LogSlice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FramePlannerTest {
  private static final long LIMIT = 1000;
  private static final Path SEG_A = Path.of("00000000000000000000.log");
  private static final Path SEG_B = Path.of("00000000000000000100.log");

  /** Batches of the given sizes laid out back to back in one file, one offset each. */
  static List<LogSlice> layout(Path file, long... sizes) {
    List<LogSlice> out = new ArrayList<>();
    long pos = 0;
    long offset = 0;
    for (long size : sizes) {
      out.add(new LogSlice(file, pos, size, offset, offset));
      pos += size;
      offset++;
    }
    return out;
  }

  @ParameterizedTest(name = "batch of {0} bytes -> {1} frames, chunked={2}")
  @CsvSource({
    "999, 1, false", // limit - 1
    "1000, 1, false", // limit
    "1001, 2, true", // limit + 1: a full chunk and a 1-byte chunk
    "10000, 10, true", // 10 x limit
    "68, 1, false" // the smallest batch, BatchLayout.MIN_BATCH_BYTES
  })
  void sizeTable(long size, int frames, boolean chunked) {
    List<PlannedFrame> plan = new FramePlanner(LIMIT).plan(layout(SEG_A, size), -1, 0);
    assertEquals(frames, plan.size());
    assertEquals(chunked, plan.get(0) instanceof PlannedFrame.BatchChunk);
    assertInvariants(plan, layout(SEG_A, size), LIMIT, 0);
    if (chunked) {
      PlannedFrame.BatchChunk last = (PlannedFrame.BatchChunk) plan.get(plan.size() - 1);
      assertTrue(last.last());
      assertEquals(size, last.bytePosition() + last.payloadBytes());
      assertTrue(
          plan.subList(0, plan.size() - 1).stream()
              .noneMatch(f -> ((PlannedFrame.BatchChunk) f).last()));
    }
  }

  @Test
  void aLimitThatCannotCarryAByteIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new FramePlanner(0));
  }

  @Test
  void manySmallBatchesArePackedWhole() {
    long[] sizes = new long[100];
    Arrays.fill(sizes, 100);
    List<PlannedFrame> plan = new FramePlanner(LIMIT).plan(layout(SEG_A, sizes), -1, 0);
    assertEquals(10, plan.size());
    PlannedFrame.WholeBatches first = (PlannedFrame.WholeBatches) plan.get(0);
    assertEquals(0, first.baseOffset());
    assertEquals(9, first.lastOffset());
    assertEquals(1, first.regions().size(), "contiguous batches are one range");
  }

  @Test
  void aMixFlushesSmallBatchesAroundAnOversizedOne() {
    List<LogSlice> batches = layout(SEG_A, 300, 300, 2500, 300, 999, 1);
    List<PlannedFrame> plan = new FramePlanner(LIMIT).plan(batches, -1, 0);
    // [300+300] [chunk 1000] [chunk 1000] [chunk 500 last] [300] [999+1 would be 1000: fits]
    assertEquals(6, plan.size());
    assertInstanceOf(PlannedFrame.WholeBatches.class, plan.get(0));
    assertTrue(((PlannedFrame.BatchChunk) plan.get(3)).last());
    assertEquals(300, plan.get(4).payloadBytes());
    assertEquals(1000, plan.get(5).payloadBytes());
    assertInvariants(plan, batches, LIMIT, 0);
  }

  @Test
  void batchesStraddlingASegmentBoundaryShareAFrameWithTwoRanges() {
    List<LogSlice> batches = new ArrayList<>(layout(SEG_A, 400));
    batches.add(new LogSlice(SEG_B, 0, 500, 1, 1));
    List<PlannedFrame> plan = new FramePlanner(LIMIT).plan(batches, -1, 0);
    assertEquals(1, plan.size());
    PlannedFrame.WholeBatches f = (PlannedFrame.WholeBatches) plan.get(0);
    assertEquals(
        List.of(new FileRegion(SEG_A, 0, 400), new FileRegion(SEG_B, 0, 500)), f.regions());
    assertEquals(900, f.payloadBytes());
  }

  @Test
  void resumeStartsTheOversizedBatchAtTheStagedPosition() {
    List<LogSlice> batches = layout(SEG_A, 100, 5000);
    List<PlannedFrame> plan = new FramePlanner(LIMIT).plan(batches, 1, 2345);
    PlannedFrame.BatchChunk first = (PlannedFrame.BatchChunk) plan.get(1);
    assertEquals(2345, first.bytePosition());
    assertEquals(1 + 3, plan.size()); // [100] then 1000, 1000, 655
    assertInvariants(plan, batches, LIMIT, 2345);
  }

  @Test
  void resumeAtOrPastTheEndStillSendsTheLastByteSoTheBatchIsChecked() {
    List<PlannedFrame> plan = new FramePlanner(LIMIT).plan(layout(SEG_A, 5000), 0, 5000);
    assertEquals(1, plan.size());
    PlannedFrame.BatchChunk c = (PlannedFrame.BatchChunk) plan.get(0);
    assertEquals(4999, c.bytePosition());
    assertTrue(c.last());
  }

  @Test
  void randomSizesNeverExceedTheLimitAndReproduceTheLogBytes(@TempDir Path dir) throws IOException {
    Random rnd = new Random(42);
    for (int round = 0; round < 200; round++) {
      long limit = 1 + rnd.nextInt(2000);
      int count = 1 + rnd.nextInt(30);
      long[] sizes = new long[count];
      for (int i = 0; i < count; i++) {
        sizes[i] = 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(5000) : rnd.nextInt((int) limit));
      }
      // Two segments: the first half of the batches in one file, the rest in another.
      int split = count / 2;
      Path a = dir.resolve("a" + round);
      Path b = dir.resolve("b" + round);
      List<LogSlice> batches = new ArrayList<>();
      batches.addAll(layout(a, Arrays.copyOfRange(sizes, 0, split)));
      for (LogSlice e : layout(b, Arrays.copyOfRange(sizes, split, count))) {
        batches.add(
            new LogSlice(
                b, e.position(), e.length(), e.baseOffset() + split, e.lastOffset() + split));
      }
      writeRandom(a, sum(sizes, 0, split), rnd);
      writeRandom(b, sum(sizes, split, count), rnd);
      List<PlannedFrame> plan = new FramePlanner(limit).plan(batches, -1, 0);
      assertInvariants(plan, batches, limit, 0);
      byte[] expected = concat(Files.readAllBytes(a), Files.readAllBytes(b));
      assertArrayEquals(expected, readPayloads(plan), "round " + round);
    }
  }

  private static void assertInvariants(
      List<PlannedFrame> plan, List<LogSlice> batches, long limit, long resumed) {
    long total = batches.stream().mapToLong(LogSlice::length).sum();
    long planned = 0;
    for (PlannedFrame f : plan) {
      assertTrue(f.payloadBytes() <= limit, f + " exceeds " + limit);
      assertTrue(f.payloadBytes() > 0);
      planned += f.payloadBytes();
      if (f instanceof PlannedFrame.WholeBatches w) {
        assertEquals(w.payloadBytes(), w.regions().stream().mapToLong(FileRegion::length).sum());
      }
    }
    assertEquals(total - resumed, planned);
  }

  private static byte[] readPayloads(List<PlannedFrame> plan) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (PlannedFrame f : plan) {
      List<FileRegion> regions =
          f instanceof PlannedFrame.WholeBatches w
              ? w.regions()
              : List.of(((PlannedFrame.BatchChunk) f).region());
      for (FileRegion r : regions) {
        byte[] all = Files.readAllBytes(r.file());
        out.write(all, (int) r.position(), (int) r.length());
      }
    }
    return out.toByteArray();
  }

  private static long sum(long[] sizes, int from, int to) {
    long s = 0;
    for (int i = from; i < to; i++) {
      s += sizes[i];
    }
    return s;
  }

  private static void writeRandom(Path file, long size, Random rnd) throws IOException {
    byte[] b = new byte[(int) size];
    rnd.nextBytes(b);
    Files.write(file, b);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
