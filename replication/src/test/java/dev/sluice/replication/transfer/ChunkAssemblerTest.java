package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.*;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.BatchLayout;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.protocol.Frame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkAssemblerTest {
  private static final int LIMIT = 64 * 1024;
  private static final StorageSettings STORAGE = StorageSettings.of(64L << 20, 16L << 20);

  @TempDir Path dir;
  private PartitionLog log;

  @BeforeEach
  void open() throws IOException {
    log = PartitionLog.open(dir, STORAGE, Clock.systemUTC());
  }

  @AfterEach
  void close() throws IOException {
    log.close();
  }

  private ChunkAssembler assembler() {
    return new ChunkAssembler(log.staging(), log::appendStagedBatch, "follower orders-3");
  }

  /** The chunks the leader would send for {@code batch} from byte {@code from}. */
  private static List<Frame.Chunk> chunks(ByteBuffer batch, long baseOffset, int from) {
    ByteString all = TestBatches.bytes(batch);
    int crc = TestBatches.crcOf(batch);
    List<Frame.Chunk> out = new ArrayList<>();
    for (int pos = from; pos < all.size(); pos += LIMIT) {
      int end = Math.min(all.size(), pos + LIMIT);
      out.add(
          new Frame.Chunk(
              baseOffset, all.size(), crc, pos, end == all.size(), all.slice(pos, end)));
    }
    return out;
  }

  private long stagedFiles() throws IOException {
    try (Stream<Path> s = Files.list(log.staging().dir())) {
      return s.count();
    }
  }

  @Test
  void aBatchStagedInTenChunksIsDurableOnceTheLogAppendsIt() throws IOException {
    ByteBuffer batch = TestBatches.batchOfSize(0, 1, 10 * LIMIT, 1);
    List<Frame.Chunk> chunks = chunks(batch, 0, 0);
    List<Long> flushedAtAppend = new ArrayList<>();
    try (ChunkAssembler a =
        new ChunkAssembler(
            log.staging(),
            staged -> {
              assertEquals(0, log.flushedOffset(), "nothing is durable before the append");
              log.appendStagedBatch(staged);
              flushedAtAppend.add(log.flushedOffset());
            },
            "follower orders-3")) {
      for (Frame.Chunk c : chunks) {
        a.accept(c);
      }
    }
    assertEquals(List.of(1L), flushedAtAppend, "the log's force covers the batch once appended");
    assertEquals(0, stagedFiles(), "the staged file is gone");
  }

  @Test
  void batchOfTenTimesTheLimitIsAssembledFromChunksAndAppended() throws IOException {
    ByteBuffer batch = TestBatches.batchOfSize(0, 1, 10 * LIMIT, 1);
    List<Frame.Chunk> chunks = chunks(batch, 0, 0);
    assertEquals(10, chunks.size());
    try (ChunkAssembler a = assembler()) {
      for (int i = 0; i < 9; i++) {
        ChunkAssembler.Outcome o = a.accept(chunks.get(i));
        assertFalse(o.appended());
        assertEquals((long) (i + 1) * LIMIT, o.stagedBytes());
        assertEquals(0, log.logEndOffset(), "nothing is appended before the last chunk");
      }
      assertTrue(a.accept(chunks.get(9)).appended());
    }
    assertEquals(1, log.logEndOffset());
    assertEquals(0, stagedFiles());
    byte[] segment = Files.readAllBytes(log.read(0, 1).slices().get(0).segmentFile());
    assertArrayEquals(TestBatches.bytes(batch).toArray(), segment);
  }

  @Test
  void aCorruptByteIsRejectedAndNothingIsAppended() throws IOException {
    ByteBuffer batch = TestBatches.batchOfSize(0, 1, 10 * LIMIT, 2);
    List<Frame.Chunk> chunks = new ArrayList<>(chunks(batch, 0, 0));
    flipByte(chunks, 4, 100);
    try (ChunkAssembler a = assembler()) {
      for (int i = 0; i < 9; i++) {
        a.accept(chunks.get(i));
      }
      CorruptTransferException e =
          assertThrows(CorruptTransferException.class, () -> a.accept(chunks.get(9)));
      assertTrue(e.getMessage().contains("orders-3"), e.getMessage());
      assertTrue(e.getMessage().contains("batch offset 0"), e.getMessage());
      assertEquals(0, a.stagedBytes());
      assertEquals(Frame.StagedPosition.NONE, a.stagedPosition(0), "a retry starts afresh");
    }
    assertEquals(0, log.logEndOffset());
    assertEquals(0, stagedFiles());
  }

  @Test
  void aCorruptLeaderEpochByteWhichTheBatchCrcDoesNotCoverIsRejected() throws IOException {
    ByteBuffer batch = TestBatches.batchOfSize(0, 1, 10 * LIMIT, 4);
    List<Frame.Chunk> chunks = new ArrayList<>(chunks(batch, 0, 0));
    // Outside [ATTRIBUTES_OFFSET, end): only the head CRC the chunks announce covers it.
    flipByte(chunks, 0, BatchLayout.PARTITION_LEADER_EPOCH_OFFSET + 3);
    try (ChunkAssembler a = assembler()) {
      for (int i = 0; i < 9; i++) {
        a.accept(chunks.get(i));
      }
      CorruptTransferException e =
          assertThrows(CorruptTransferException.class, () -> a.accept(chunks.get(9)));
      assertTrue(e.getMessage().contains("first 21 bytes"), e.getMessage());
    }
    assertEquals(0, log.logEndOffset());
    assertEquals(0, stagedFiles());
  }

  @Test
  void restartInTheMiddleResumesFromTheStagedBytes() throws IOException {
    ByteBuffer batch = TestBatches.batchOfSize(0, 1, 10 * LIMIT + 123, 3);
    List<Frame.Chunk> chunks = chunks(batch, 0, 0);
    try (ChunkAssembler a = assembler()) {
      for (int i = 0; i < 4; i++) {
        a.accept(chunks.get(i));
      }
    }
    // The follower process restarts: the log reopens and a new assembler finds the staged bytes.
    log.close();
    log = PartitionLog.open(dir, STORAGE, Clock.systemUTC());
    try (ChunkAssembler a = assembler()) {
      Frame.StagedPosition p = a.stagedPosition(log.logEndOffset());
      assertEquals(
          new Frame.StagedPosition(0, 10L * LIMIT + 123, TestBatches.crcOf(batch), 4L * LIMIT), p);
      // A resend overlapping what is staged is skipped, not written twice.
      ChunkAssembler.Outcome resent = a.accept(chunks.get(3));
      assertEquals(LIMIT, resent.skippedBytes());
      assertEquals(0, resent.writtenBytes());
      ChunkAssembler.Outcome last = null;
      for (Frame.Chunk c : chunks(batch, 0, (int) p.stagedBytes())) {
        last = a.accept(c);
      }
      assertTrue(last.appended());
    }
    assertEquals(1, log.logEndOffset());
    assertEquals(0, stagedFiles());
  }

  @Test
  void aDifferentBatchAtTheSameOffsetReplacesTheStagedOne() throws IOException {
    // A new leader may hold another batch at the offset the follower was staging.
    ByteBuffer old = TestBatches.batchOfSize(0, 1, 6 * LIMIT, 5);
    ByteBuffer replacement = TestBatches.batchOfSize(0, 2, 5 * LIMIT, 6);
    try (ChunkAssembler a = assembler()) {
      a.accept(chunks(old, 0, 0).get(0));
      a.accept(chunks(old, 0, 0).get(1));
      ChunkAssembler.Outcome o = null;
      for (Frame.Chunk c : chunks(replacement, 0, 0)) {
        o = a.accept(c);
      }
      assertTrue(o.appended());
    }
    assertEquals(1, log.logEndOffset());
    assertEquals(2, log.latestLeaderEpoch());
    assertEquals(0, stagedFiles());
  }

  @Test
  void aChunkPastTheStagedBytesIsAGap() throws IOException {
    ByteBuffer batch = TestBatches.batchOfSize(0, 1, 4 * LIMIT, 4);
    List<Frame.Chunk> chunks = chunks(batch, 0, 0);
    try (ChunkAssembler a = assembler()) {
      a.accept(chunks.get(0));
      CorruptTransferException e =
          assertThrows(CorruptTransferException.class, () -> a.accept(chunks.get(2)));
      assertTrue(e.getMessage().contains("byte position " + 2 * LIMIT), e.getMessage());
    }
    assertEquals(0, stagedFiles());
  }

  /**
   * Replaces chunk {@code index} (not the last) with one whose payload byte {@code at} is flipped.
   */
  private static void flipByte(List<Frame.Chunk> chunks, int index, int at) {
    Frame.Chunk c = chunks.get(index);
    byte[] flipped = c.payload().toArray();
    flipped[at] ^= 0x01;
    chunks.set(
        index,
        new Frame.Chunk(
            c.baseOffset(),
            c.totalLength(),
            c.batchCrc(),
            c.bytePosition(),
            false,
            ByteString.fromArray(flipped)));
  }
}
