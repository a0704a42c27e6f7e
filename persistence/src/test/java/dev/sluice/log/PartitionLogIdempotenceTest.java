package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Compression;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.log.producer.ProducerError;
import dev.sluice.log.producer.ProducerStateException;
import dev.sluice.log.producer.ProducerStateSnapshots;
import dev.sluice.log.producer.ProducerStateTable;
import dev.sluice.log.producer.ProducerStateTable.ProducerBatch;
import dev.sluice.log.producer.ProducerStateTable.ProducerState;
import dev.sluice.log.segment.SegmentFiles;
import dev.sluice.log.testing.LogTestSupport;
import dev.sluice.log.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The idempotent producer on a partition log: a retried batch is answered with its original offsets
 * and written once, a batch out of sequence is refused with nothing written, and the producers'
 * state follows the log through recovery, truncation, retention and replication.
 */
class PartitionLogIdempotenceTest {
  private static final long PID = 4711;
  private static final short EPOCH = 2;
  private static final int LEADER_EPOCH = 5;

  @TempDir Path dir;

  /** A batch of {@code count} records of producer {@code pid} from sequence {@code firstSeq}. */
  private static ByteBuffer batch(long pid, short epoch, int firstSeq, int count) {
    List<Record> records = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      records.add(Record.of(LogTestSupport.key(firstSeq + i), new byte[] {(byte) i}, TIMESTAMP));
    }
    return MemoryBatchBuilder.build(records, Compression.NONE, pid, epoch, firstSeq);
  }

  private static AppendInfo produce(PartitionLog log, long pid, short epoch, int seq, int count)
      throws IOException {
    return log.appendProducerBatch(batch(pid, epoch, seq, count), LEADER_EPOCH);
  }

  /** Every segment file's bytes, concatenated in order. */
  private static byte[] segmentBytes(Path logDir) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Path f : LogTestSupport.logFiles(logDir)) {
      out.write(Files.readAllBytes(f));
    }
    return out.toByteArray();
  }

  @Test
  void aRetryIsAnsweredWithTheOriginalOffsetsAndWritesNothing() throws IOException {
    Path p = dir.resolve("p");
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      LogTestSupport.appendBatches(log, 2, 10);
      AppendInfo first = produce(log, PID, EPOCH, 0, 3);
      AppendInfo second = produce(log, PID, EPOCH, 3, 2);
      assertFalse(first.duplicate());
      assertEquals(2, first.baseOffset());
      assertEquals(4, first.lastOffset());
      assertEquals(5, second.baseOffset());
      long end = log.logEndOffset();
      byte[] before = segmentBytes(p);

      AppendInfo retryOfFirst = produce(log, PID, EPOCH, 0, 3);
      AppendInfo retryOfSecond = produce(log, PID, EPOCH, 3, 2);

      assertEquals(AppendInfo.duplicateOf(2, 4, end), retryOfFirst);
      assertEquals(AppendInfo.duplicateOf(5, 6, end), retryOfSecond);
      assertTrue(retryOfFirst.duplicate());
      assertEquals(0, retryOfFirst.sizeInBytes());
      assertEquals(end, log.logEndOffset());
      assertArrayEquals(before, segmentBytes(p));
      // The producer goes on where it was.
      assertEquals(end, produce(log, PID, EPOCH, 5, 1).baseOffset());
    }
  }

  @Test
  void aBatchOutOfSequenceIsRefusedAndNothingIsWritten() throws IOException {
    Path p = dir.resolve("p");
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      produce(log, PID, EPOCH, 0, 3);
      long end = log.logEndOffset();
      byte[] before = segmentBytes(p);

      ProducerStateException gap =
          assertThrows(ProducerStateException.class, () -> produce(log, PID, EPOCH, 4, 1));

      assertEquals(ProducerError.OUT_OF_ORDER_SEQUENCE, gap.error());
      assertEquals(PID, gap.producerId());
      assertEquals(OptionalInt.of(3), gap.expectedSequence());
      String m = gap.getMessage();
      assertTrue(m.contains(p.toString()), m);
      assertTrue(m.contains("producer " + PID + " epoch " + EPOCH + " sequences 4..4"), m);
      assertTrue(m.contains("expected base sequence 3"), m);
      assertEquals(end, log.logEndOffset());
      assertArrayEquals(before, segmentBytes(p));
      assertEquals(3, log.producerState(PID).orElseThrow().nextSequence());
    }
  }

  @Test
  void anUnknownProducerNotStartingAtZeroIsRefusedAndNothingIsWritten() throws IOException {
    Path p = dir.resolve("p");
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      LogTestSupport.appendBatches(log, 1, 10);
      byte[] before = segmentBytes(p);

      ProducerStateException e =
          assertThrows(ProducerStateException.class, () -> produce(log, PID, EPOCH, 7, 2));

      assertEquals(ProducerError.UNKNOWN_PRODUCER_ID, e.error());
      assertEquals(OptionalInt.empty(), e.expectedSequence());
      assertTrue(e.getMessage().contains("sequences 7..8"), e.getMessage());
      assertEquals(1, log.logEndOffset());
      assertArrayEquals(before, segmentBytes(p));
      assertTrue(log.producerState(PID).isEmpty());
    }
  }

  @Test
  void anOlderEpochIsFencedAndNothingIsWritten() throws IOException {
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      produce(log, PID, EPOCH, 0, 1);
      produce(log, PID, (short) (EPOCH + 1), 0, 1);
      ProducerStateException e =
          assertThrows(ProducerStateException.class, () -> produce(log, PID, EPOCH, 1, 1));
      assertEquals(ProducerError.PRODUCER_FENCED, e.error());
      assertEquals(2, log.logEndOffset());
    }
  }

  @Test
  void theStateSurvivesCloseAndReopen() throws IOException {
    Path p = dir.resolve("p");
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      produce(log, PID, EPOCH, 0, 2);
      LogTestSupport.appendBatches(log, 1, 10);
      produce(log, PID, EPOCH, 2, 3);
      produce(log, PID + 1, (short) 0, 0, 1);
    }
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      ProducerState s = log.producerState(PID).orElseThrow();
      assertEquals(EPOCH, s.producerEpoch());
      assertEquals(
          List.of(
              new ProducerBatch(0, 1, 0, 1, TIMESTAMP), new ProducerBatch(2, 4, 3, 5, TIMESTAMP)),
          s.batches());
      long end = log.logEndOffset();
      assertEquals(AppendInfo.duplicateOf(3, 5, end), produce(log, PID, EPOCH, 2, 3));
      assertEquals(AppendInfo.duplicateOf(6, 6, end), produce(log, PID + 1, (short) 0, 0, 1));
      assertEquals(end, produce(log, PID, EPOCH, 5, 1).baseOffset());
    }
  }

  @Test
  void theStateSurvivesACrashWithATornTailAndForgetsTheTornBatch() throws IOException {
    Path p = dir.resolve("p");
    long tornBase;
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      produce(log, PID, EPOCH, 0, 2);
      tornBase = produce(log, PID, EPOCH, 2, 2).baseOffset();
      LogSlice last = log.read(tornBase, 1).slices().get(0);
      log.close();
      try (FileChannel ch = FileChannel.open(last.segmentFile(), StandardOpenOption.WRITE)) {
        ch.truncate(last.position() + 30); // inside the last batch's header
      }
      Files.deleteIfExists(p.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE));
    }
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      assertEquals(tornBase, log.logEndOffset());
      assertEquals(2, log.producerState(PID).orElseThrow().nextSequence());
      assertEquals(AppendInfo.duplicateOf(0, 1, tornBase), produce(log, PID, EPOCH, 0, 2));
      // The torn batch never made it: its retry is written, at the offsets it had.
      AppendInfo retried = produce(log, PID, EPOCH, 2, 2);
      assertFalse(retried.duplicate());
      assertEquals(tornBase, retried.baseOffset());
    }
  }

  @Test
  void truncationThroughABatchForgetsItAndItsRetryIsAppendedAgain() throws IOException {
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      produce(log, PID, EPOCH, 0, 2); // 0..1
      produce(log, PID + 1, (short) 0, 0, 1); // 2
      produce(log, PID, EPOCH, 2, 2); // 3..4
      LogTestSupport.appendBatches(log, 1, 10); // 5

      log.truncateTo(4); // inside 3..4: the whole batch goes

      assertEquals(3, log.logEndOffset());
      assertEquals(
          List.of(new ProducerBatch(0, 1, 0, 1, TIMESTAMP)),
          log.producerState(PID).orElseThrow().batches());
      assertEquals(1, log.producerState(PID + 1).orElseThrow().nextSequence());
      AppendInfo retried = produce(log, PID, EPOCH, 2, 2);
      assertFalse(retried.duplicate());
      assertEquals(3, retried.baseOffset());
      assertEquals(AppendInfo.duplicateOf(3, 4, 5), produce(log, PID, EPOCH, 2, 2));
    }
  }

  @Test
  void truncationBelowAnEpochBumpRestoresTheOlderEpoch() throws IOException {
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      produce(log, PID, EPOCH, 0, 1);
      produce(log, PID, EPOCH, 1, 1);
      produce(log, PID, (short) (EPOCH + 1), 0, 1);

      log.truncateTo(2);

      ProducerState s = log.producerState(PID).orElseThrow();
      assertEquals(EPOCH, s.producerEpoch());
      assertEquals(2, s.batches().size());
      assertEquals(AppendInfo.duplicateOf(1, 1, 2), produce(log, PID, EPOCH, 1, 1));
    }
  }

  @Test
  void emptyingTheLogForgetsEveryProducer() throws IOException {
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      produce(log, PID, EPOCH, 0, 2);
      log.truncateFullyAndStartAt(10);
      assertTrue(log.producerState(PID).isEmpty());
      ProducerStateException e =
          assertThrows(ProducerStateException.class, () -> produce(log, PID, EPOCH, 2, 1));
      assertEquals(ProducerError.UNKNOWN_PRODUCER_ID, e.error());
    }
  }

  @Test
  void aFollowerFedTheLeadersBatchesHasTheSameStateAndDetectsRetriesAsLeader() throws IOException {
    Path leaderDir = dir.resolve("leader");
    Path followerDir = dir.resolve("follower");
    try (PartitionLog leader = PartitionLog.open(leaderDir, settings(), clock());
        PartitionLog follower = PartitionLog.open(followerDir, settings(), clock())) {
      for (int i = 0; i < 7; i++) {
        produce(leader, PID, EPOCH, i * 2, 2);
        LogTestSupport.appendBatches(leader, 1, 10);
      }
      produce(leader, PID + 1, (short) 0, 0, 3);
      AppendInfo lastOfLeader = produce(leader, PID + 1, (short) 0, 3, 1);
      // All but the last batch in one buffer, the last from a file as a staged batch arrives.
      ByteBuffer all = LogTestSupport.bytesOf(leader.read(0, Long.MAX_VALUE));
      LogSlice lastSlice = leader.read(lastOfLeader.baseOffset(), 1).slices().get(0);
      ByteBuffer head = all.duplicate().limit(all.limit() - (int) lastSlice.length());
      follower.appendBatches(head);
      Path lastFile = dir.resolve("last.batch");
      ByteBuffer tail = all.duplicate().position(all.limit() - (int) lastSlice.length());
      byte[] tailBytes = new byte[tail.remaining()];
      tail.get(tailBytes);
      Files.write(lastFile, tailBytes);
      follower.appendBatch(lastFile);

      assertEquals(leader.logEndOffset(), follower.logEndOffset());
      assertEquals(leader.producerState(PID), follower.producerState(PID));
      assertEquals(leader.producerState(PID + 1), follower.producerState(PID + 1));
      assertEquals(2, follower.producerStates().size());
      assertEquals(leader.producerStates(), follower.producerStates());
      assertEquals(
          ProducerStateTable.BATCHES_KEPT,
          follower.producerState(PID).orElseThrow().batches().size());

      // The follower becomes leader and gets the retries the old leader had acknowledged.
      long end = follower.logEndOffset();
      AppendInfo retry = produce(follower, PID, EPOCH, 12, 2);
      assertEquals(AppendInfo.duplicateOf(18, 19, end), retry);
      assertEquals(
          AppendInfo.duplicateOf(lastOfLeader.baseOffset(), lastOfLeader.lastOffset(), end),
          produce(follower, PID + 1, (short) 0, 3, 1));
      assertEquals(end, follower.logEndOffset());
    }
  }

  @Test
  void retentionKeepsTheStateOfDeletedBatchesThroughSnapshotsAcrossAReopen() throws IOException {
    Path p = dir.resolve("p");
    MutableClock clock = clock();
    StorageSettings retaining =
        new StorageSettings(64 * 1024, 1024, 64 * 1024, FlushPolicy.OS, -1, Duration.ofHours(1));
    try (PartitionLog log = PartitionLog.open(p, retaining, clock)) {
      produce(log, PID, EPOCH, 0, 1);
      while (log.segmentCount() < 2) {
        LogTestSupport.appendBatches(log, 1, 10_000, clock);
      }
      clock.advance(Duration.ofHours(2));
      LogTestSupport.appendBatches(log, 1, 10_000, clock);
      log.updateHighWatermark(log.logEndOffset());

      assertEquals(1, log.applyRetention());

      assertTrue(log.logStartOffset() > 0);
      assertEquals(
          AppendInfo.duplicateOf(0, 0, log.logEndOffset()), produce(log, PID, EPOCH, 0, 1));
    }
    try (PartitionLog log = PartitionLog.open(p, retaining, clock)) {
      // The producer's only batch is gone; the snapshot written at close still knows it.
      assertEquals(1, log.producerState(PID).orElseThrow().nextSequence());
    }
    // Without snapshots the table is rebuilt from the batches left: the producer is forgotten.
    deleteSnapshots(p);
    try (PartitionLog log = PartitionLog.open(p, retaining, clock)) {
      assertTrue(log.producerState(PID).isEmpty());
      ProducerStateException e =
          assertThrows(ProducerStateException.class, () -> produce(log, PID, EPOCH, 1, 1));
      assertEquals(ProducerError.UNKNOWN_PRODUCER_ID, e.error());
    }
  }

  @Test
  void aProducerExpiresSevenDaysAfterItsLastBatch() throws IOException {
    MutableClock clock = clock();
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock)) {
      produce(log, PID, EPOCH, 0, 1);
      clock.advance(ProducerStateTable.DEFAULT_PRODUCER_ID_EXPIRATION);
      log.applyRetention();
      assertTrue(log.producerState(PID).isPresent(), "exactly seven days old is kept");

      clock.advance(Duration.ofMillis(1));
      log.applyRetention();

      assertTrue(log.producerState(PID).isEmpty());
      ProducerStateException e =
          assertThrows(ProducerStateException.class, () -> produce(log, PID, EPOCH, 1, 1));
      assertEquals(ProducerError.UNKNOWN_PRODUCER_ID, e.error());
    }
  }

  @Test
  void aSnapshotIsWrittenAtEachRollAndAtCloseAndACrashReplaysFromTheOlderOne() throws IOException {
    Path p = dir.resolve("p");
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(p);
    Optional<ProducerState> before;
    Optional<ProducerState> otherBefore;
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      int seq = 0;
      while (log.segmentCount() < 3) {
        produce(log, PID, EPOCH, seq++, 1);
        LogTestSupport.appendBatches(log, 1, 10_000);
      }
      produce(log, PID + 1, (short) 0, 0, 1);
      produce(log, PID, EPOCH, seq, 1);
      List<Long> bases = segmentBases(p);
      assertEquals(new TreeSet<>(bases.subList(1, 3)), snapshots.offsets());
      before = log.producerState(PID);
      otherBefore = log.producerState(PID + 1);
      log.close();
      assertEquals(
          new TreeSet<>(List.of(bases.get(1), bases.get(2), log.logEndOffset())),
          snapshots.offsets());
      // A crash after the last roll, before any later snapshot: only the first roll's is left.
      Files.delete(snapshots.file(log.logEndOffset()));
      Files.delete(snapshots.file(bases.get(2)));
      Files.delete(p.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE));
    }
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      assertEquals(before, log.producerState(PID));
      assertEquals(otherBefore, log.producerState(PID + 1));
    }
  }

  @Test
  void aDamagedSnapshotIsPassedOverForTheLog() throws IOException {
    Path p = dir.resolve("p");
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(p);
    Optional<ProducerState> before;
    long end;
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      produce(log, PID, EPOCH, 0, 2);
      produce(log, PID, EPOCH, 2, 1);
      before = log.producerState(PID);
      end = log.logEndOffset();
    }
    Path snapshot = snapshots.file(end);
    byte[] bytes = Files.readAllBytes(snapshot);
    bytes[bytes.length - 1] ^= 1;
    Files.write(snapshot, bytes);
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      assertEquals(before, log.producerState(PID));
      assertEquals(AppendInfo.duplicateOf(2, 2, end), produce(log, PID, EPOCH, 2, 1));
    }
  }

  @Test
  void truncationDeletesTheSnapshotsAboveTheCut() throws IOException {
    Path p = dir.resolve("p");
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(p);
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      produce(log, PID, EPOCH, 0, 1); // 0
      LogTestSupport.appendBatches(log, 3, 10); // 1..3
    }
    assertEquals(new TreeSet<>(List.of(4L)), snapshots.offsets());
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      log.truncateTo(1);
      assertTrue(snapshots.offsets().isEmpty());
      assertFalse(produce(log, PID, EPOCH, 1, 1).duplicate()); // 1, where a filler was
      LogTestSupport.appendBatches(log, 4, 10); // 2..5
      log.close();
      // A crash instead of the close: the snapshot at 4 from before the cut would not know
      // offset 1's batch, and would let its retry be written twice.
      Files.delete(snapshots.file(log.logEndOffset()));
      Files.delete(p.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE));
    }
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      assertEquals(AppendInfo.duplicateOf(1, 1, 6), produce(log, PID, EPOCH, 1, 1));
    }
  }

  @Test
  void truncationRebuildsFromTheNewestSnapshotBelowTheCut() throws IOException {
    Path p = dir.resolve("p");
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      produce(log, PID, EPOCH, 0, 1); // 0
      LogTestSupport.appendBatches(log, 2, 10); // 1..2
    }
    // A log starting at 3 whose snapshot there knows a producer whose batch at 0 is gone, as
    // after retention.
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      log.truncateFullyAndStartAt(3);
    }
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(p);
    assertEquals(new TreeSet<>(List.of(3L)), snapshots.offsets());
    snapshots.write(
        3,
        List.of(
            new ProducerState(
                PID, EPOCH, List.of(new ProducerBatch(0, 0, 0, 0, TIMESTAMP)), TIMESTAMP)));
    try (PartitionLog log = PartitionLog.open(p, settings(), clock())) {
      produce(log, PID, EPOCH, 1, 1); // 3
      LogTestSupport.appendBatches(log, 1, 10); // 4
      produce(log, PID, EPOCH, 2, 1); // 5

      log.truncateTo(5);

      assertEquals(
          List.of(
              new ProducerBatch(0, 0, 0, 0, TIMESTAMP), new ProducerBatch(1, 1, 3, 3, TIMESTAMP)),
          log.producerState(PID).orElseThrow().batches());
    }
  }

  private static List<Long> segmentBases(Path logDir) throws IOException {
    List<Long> bases = new ArrayList<>();
    for (Path f : LogTestSupport.logFiles(logDir)) {
      bases.add(SegmentFiles.parse(f, SegmentFiles.LOG_SUFFIX).getAsLong());
    }
    return bases;
  }

  private static void deleteSnapshots(Path logDir) throws IOException {
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(logDir);
    for (long offset : snapshots.offsets()) {
      Files.delete(snapshots.file(offset));
    }
  }
}
