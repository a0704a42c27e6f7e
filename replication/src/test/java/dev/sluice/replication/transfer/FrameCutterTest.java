package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.LogSlice;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.RejectReason;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The leader cuts a window's byte stream into the planned frames: payloads are the planned bytes
 * wherever the file's pieces end, chunks announce their batch's head CRC, a refusal replaces the
 * next frame and ends the window, and bytes that do not add up to the plan are an error.
 */
class FrameCutterTest {
  private static final long LIMIT = 1000;
  private static final Path SEG = Path.of("00000000000000000000.log");
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final Supplier<Optional<Frame.Rejected>> GO_ON = Optional::empty;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** {@code bytes} in pieces of the given sizes, repeated until the bytes run out. */
  private static List<ByteString> piecesOf(byte[] bytes, int... sizes) {
    List<ByteString> pieces = new ArrayList<>();
    int at = 0;
    for (int i = 0; at < bytes.length; i++) {
      int n = Math.min(sizes[i % sizes.length], bytes.length - at);
      pieces.add(ByteString.fromArray(bytes, at, n));
      at += n;
    }
    return pieces;
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static List<Frame> cut(
      List<ByteString> pieces,
      List<PlannedFrame> plans,
      Map<LogSlice, Integer> headCrcs,
      Supplier<Optional<Frame.Rejected>> stop)
      throws Exception {
    return Source.from(pieces)
        .via(new FrameCutter(plans, headCrcs, stop))
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture()
        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static ByteString payloadOf(Frame f) {
    return f instanceof Frame.Batches b ? b.payload() : ((Frame.Chunk) f).payload();
  }

  private static int headCrc(byte[] batch) {
    return BatchHeadCrc.of(ByteBuffer.wrap(batch, 0, BatchHeadCrc.BYTES));
  }

  @Test
  void framesHoldThePlannedBytesWhereverThePiecesEnd() throws Exception {
    // Whole batches, an oversized one in chunks, whole batches again.
    List<LogSlice> batches = FramePlannerTest.layout(SEG, 300, 600, 2500, 100, 999);
    List<PlannedFrame> plans = new FramePlanner(LIMIT).plan(batches, -1, 0);
    int total = (int) plans.stream().mapToLong(PlannedFrame::payloadBytes).sum();
    byte[] bytes = random(total, 1);
    byte[] oversized = Arrays.copyOfRange(bytes, 900, 3400);
    for (int[] sizes : new int[][] {{1}, {7, 13}, {999}, {1000}, {1001}, {total}, {61, 4096}}) {
      List<Frame> frames = cut(piecesOf(bytes, sizes), plans, Map.of(), GO_ON);
      assertEquals(plans.size(), frames.size(), "pieces of " + sizes[0]);
      ByteString all = ByteString.emptyByteString();
      for (int i = 0; i < frames.size(); i++) {
        Frame f = frames.get(i);
        assertEquals(plans.get(i).payloadBytes(), payloadOf(f).size());
        all = all.concat(payloadOf(f));
        if (plans.get(i) instanceof PlannedFrame.BatchChunk c) {
          Frame.Chunk chunk = assertInstanceOf(Frame.Chunk.class, f);
          assertEquals(c.bytePosition(), chunk.bytePosition());
          assertEquals(c.last(), chunk.last());
          assertEquals(2500, chunk.totalLength());
          assertEquals(2, chunk.baseOffset());
          assertEquals(headCrc(oversized), chunk.batchCrc(), "head CRC from the first chunk");
        } else {
          PlannedFrame.WholeBatches w = (PlannedFrame.WholeBatches) plans.get(i);
          Frame.Batches b = assertInstanceOf(Frame.Batches.class, f);
          assertEquals(w.baseOffset(), b.baseOffset());
          assertEquals(w.lastOffset(), b.lastOffset());
        }
      }
      assertArrayEquals(bytes, all.toArray(), "pieces of " + sizes[0]);
    }
  }

  @Test
  void aResumedBatchAnnouncesTheHeadCrcReadWhilePlanning() throws Exception {
    List<LogSlice> batches = FramePlannerTest.layout(SEG, 2500);
    List<PlannedFrame> plans = new FramePlanner(LIMIT).plan(batches, 0, 1200);
    byte[] rest = random(1300, 2);
    List<Frame> frames = cut(piecesOf(rest, 512), plans, Map.of(batches.get(0), 0x5EED), GO_ON);
    assertEquals(2, frames.size());
    for (Frame f : frames) {
      assertEquals(0x5EED, ((Frame.Chunk) f).batchCrc());
    }
    assertEquals(1200, ((Frame.Chunk) frames.get(0)).bytePosition());
    // Without it, a chunk that does not start its batch has no head to take the CRC from.
    ExecutionException e =
        assertThrows(
            ExecutionException.class, () -> cut(piecesOf(rest, 512), plans, Map.of(), GO_ON));
    assertInstanceOf(IllegalStateException.class, e.getCause());
  }

  @Test
  void aRefusalReplacesTheNextFrameAndEndsTheWindow() throws Exception {
    List<LogSlice> batches = FramePlannerTest.layout(SEG, 700, 700, 700);
    List<PlannedFrame> plans = new FramePlanner(LIMIT).plan(batches, -1, 0);
    assertEquals(3, plans.size());
    Frame.Rejected refusal = new Frame.Rejected(RejectReason.NOT_LEADER, "deposed");
    AtomicInteger asked = new AtomicInteger();
    Supplier<Optional<Frame.Rejected>> afterOne =
        () -> asked.incrementAndGet() > 1 ? Optional.of(refusal) : Optional.empty();
    List<Frame> frames = cut(piecesOf(random(2100, 3), 300), plans, Map.of(), afterOne);
    assertEquals(2, frames.size());
    assertInstanceOf(Frame.Batches.class, frames.get(0));
    assertEquals(refusal, frames.get(1));
  }

  @Test
  void bytesThatDoNotAddUpToThePlanAreAnError() {
    List<LogSlice> batches = FramePlannerTest.layout(SEG, 400, 400);
    List<PlannedFrame> plans = new FramePlanner(LIMIT).plan(batches, -1, 0);
    ExecutionException shortOf =
        assertThrows(
            ExecutionException.class,
            () -> cut(piecesOf(random(799, 4), 100), plans, Map.of(), GO_ON));
    assertInstanceOf(IllegalStateException.class, shortOf.getCause());
    assertTrue(shortOf.getCause().getMessage().contains("1 bytes short"), shortOf.getMessage());
    ExecutionException beyond =
        assertThrows(
            ExecutionException.class,
            () -> cut(piecesOf(random(801, 5), 801), plans, Map.of(), GO_ON));
    assertInstanceOf(IllegalStateException.class, beyond.getCause());
    assertThrows(IllegalArgumentException.class, () -> new FrameCutter(List.of(), Map.of(), GO_ON));
  }
}
