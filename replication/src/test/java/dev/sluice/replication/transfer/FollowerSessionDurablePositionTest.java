package dev.sluice.replication.transfer;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.RecordingSyncer;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower reports only durable positions: the leader counts them towards the high watermark.
 * This holds even when the node led the partition before and left written but unforced bytes.
 */
class FollowerSessionDurablePositionTest {
  @TempDir Path dir;

  @Test
  void theHandshakeAndEveryProgressReportAreForcedFirst() throws Exception {
    RecordingSyncer syncer = new RecordingSyncer();
    try (PartitionLog log =
        PartitionLog.open(
            dir.resolve("t-0"), StorageSettings.of(1 << 20, 1 << 20), Clock.systemUTC(), syncer)) {
      // As a leader it appended with forces deferred, and lost leadership before flushing.
      log.deferForces(true);
      for (int i = 0; i < 3; i++) {
        log.appendRecords(List.of(Record.of(null, new byte[] {(byte) i}, TIMESTAMP)), 1);
      }
      log.deferForces(false);
      assertEquals(0, log.flushedOffset());

      FollowerSession session =
          new FollowerSession(
              2, new PartitionId("t", 0), log, () -> 2, () -> Frame.Hello.LEADER_FRAME_LIMIT);
      Frame.Hello hello = session.hello();
      assertEquals(3, hello.logEndOffset());
      assertEquals(3, log.flushedOffset(), "the handshake position was forced first");
      assertEquals(1, syncer.forces());

      ByteBuffer batch = TestBatches.batchOfSize(3, 2, 100, 7);
      FollowerSession.Step step = session.apply(new Frame.Batches(3, 3, TestBatches.bytes(batch)));
      assertEquals(4, step.progress().logEndOffset());
      assertEquals(3, log.flushedOffset(), "applying writes, it does not force");
      assertEquals(3, session.lastProgress().logEndOffset(), "the keep-alive repeats 3 until then");
      FollowerSession.Step reported = session.flush(step);
      assertEquals(4, reported.progress().logEndOffset());
      assertEquals(4, log.flushedOffset(), "the reported position is on disk");
      assertEquals(4, session.lastProgress().logEndOffset());
      assertEquals(2, syncer.forces());
    }
  }

  @Test
  void framesMergedWhileAForceRanShareOneForce() throws Exception {
    RecordingSyncer syncer = new RecordingSyncer();
    try (PartitionLog log =
        PartitionLog.open(
            dir.resolve("t-0"), StorageSettings.of(1 << 20, 1 << 20), Clock.systemUTC(), syncer)) {
      FollowerSession session =
          new FollowerSession(
              2, new PartitionId("t", 0), log, () -> 2, () -> Frame.Hello.LEADER_FRAME_LIMIT);
      session.hello();
      FollowerSession.Step merged = null;
      for (int i = 0; i < 5; i++) {
        ByteBuffer batch = TestBatches.batchOfSize(i, 2, 100, i);
        FollowerSession.Step step =
            session.apply(new Frame.Batches(i, i, TestBatches.bytes(batch)));
        merged = merged == null ? step : merged.merge(step);
      }
      assertEquals(0, syncer.forces(), "5 frames applied, none forced");
      assertEquals(5, merged.events().size(), "every frame's event kept, in order");
      assertEquals(5, merged.progress().logEndOffset());

      session.flush(merged);
      assertEquals(1, syncer.forces(), "one force for 5 frames");
      assertEquals(5, log.flushedOffset());
      assertEquals(5, session.lastProgress().logEndOffset());
    }
  }

  @Test
  void theHighWatermarkNeverPassesTheDurableEnd() throws Exception {
    try (PartitionLog log =
        PartitionLog.open(
            dir.resolve("t-0"),
            StorageSettings.of(1 << 20, 1 << 20),
            Clock.systemUTC(),
            new RecordingSyncer())) {
      FollowerSession session =
          new FollowerSession(
              2, new PartitionId("t", 0), log, () -> 2, () -> Frame.Hello.LEADER_FRAME_LIMIT);
      session.hello();
      ByteBuffer batch = TestBatches.batchOfSize(0, 2, 100, 1);
      FollowerSession.Step step = session.apply(new Frame.Batches(0, 0, TestBatches.bytes(batch)));
      session.apply(new Frame.LeaderStatus(2, 1, 1));
      assertEquals(0, log.highWatermark(), "offset 0 is written, not forced");

      session.flush(step);
      assertEquals(1, log.highWatermark(), "raised to the leader's once forced");
    }
  }
}
