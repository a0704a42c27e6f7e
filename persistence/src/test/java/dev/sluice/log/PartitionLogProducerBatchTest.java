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
import dev.sluice.format.BatchLimit;
import dev.sluice.format.BatchValidator;
import dev.sluice.format.Compression;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.format.Header;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.log.record.StagedBatch;
import dev.sluice.log.record.StreamingBatchWriter;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader's append of batches a producer built: stamped with the base offset and the leader's
 * epoch and otherwise stored exactly as received, after the producer rules and the CRC are checked.
 */
class PartitionLogProducerBatchTest {
  @TempDir Path dir;

  private static final List<Record> RECORDS =
      List.of(
          new Record(bytes("k1"), bytes("v1"), List.of(new Header("h", bytes("x"))), TIMESTAMP + 1),
          Record.of(null, null, TIMESTAMP),
          Record.of(bytes("k3"), new byte[0], TIMESTAMP + 9));

  @Test
  void aProducerBatchIsStoredAsSentWithOnlyOffsetAndEpochStamped() throws IOException {
    ByteBuffer produced = MemoryBatchBuilder.build(RECORDS, Compression.NONE, 77, (short) 2, 0);
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      LogTestSupport.appendBatches(log, 2, 10);
      AppendInfo info = log.appendProducerBatch(produced.duplicate(), 4);
      assertEquals(2, info.baseOffset());
      assertEquals(4, info.lastOffset());
      ByteBuffer stored = LogTestSupport.bytesOf(log.read(2, 1));
      ByteBuffer expected = LogFixtures.leaderBatch(2, 4, RECORDS);
      assertEquals(stored.remaining(), produced.remaining());
      // Everything from the magic on is the producer's, producer fields and CRC included.
      assertEquals(
          produced.slice(BatchLayout.MAGIC_OFFSET, produced.remaining() - BatchLayout.MAGIC_OFFSET),
          stored.slice(BatchLayout.MAGIC_OFFSET, stored.remaining() - BatchLayout.MAGIC_OFFSET));
      assertEquals(2, stored.getLong(BatchLayout.BASE_OFFSET_OFFSET));
      assertEquals(4, stored.getInt(BatchLayout.PARTITION_LEADER_EPOCH_OFFSET));
      assertEquals(77, stored.getLong(BatchLayout.PRODUCER_ID_OFFSET));
      assertEquals(
          expected.slice(0, BatchLayout.MAGIC_OFFSET), stored.slice(0, BatchLayout.MAGIC_OFFSET));
      RecordLocation r = log.locate(2).orElseThrow();
      assertArrayEquals(bytes("k1"), r.key());
      assertEquals(TIMESTAMP + 1, r.timestamp());
      assertEquals(4, log.latestLeaderEpoch());
    }
  }

  @Test
  void aValidatedBatchIsStampedInPlaceAndAppendedAsTheCheckedOneWould() throws IOException {
    ByteBuffer produced = MemoryBatchBuilder.build(RECORDS, Compression.NONE, 77, (short) 2, 0);
    ByteBuffer callers = produced.duplicate();
    try (PartitionLog viaCopy = PartitionLog.open(dir.resolve("copy"), settings(), clock());
        PartitionLog viaValidated =
            PartitionLog.open(dir.resolve("validated"), settings(), clock())) {
      viaCopy.appendProducerBatch(callers, 4);
      // appendProducerBatch stamps a copy: the caller's bytes are as the producer built them.
      assertEquals(-1, callers.getInt(BatchLayout.PARTITION_LEADER_EPOCH_OFFSET));

      ByteBuffer owned = ByteBuffer.allocate(produced.remaining()).put(produced.duplicate()).flip();
      BatchValidator validator = new BatchValidator(BatchLimit.maxBatchBytes(1 << 20), "test");
      validator.accept(owned.duplicate());
      AppendInfo info = viaValidated.appendValidatedBatch(validator.finish(owned), 4);
      assertEquals(0, info.baseOffset());
      assertEquals(2, info.lastOffset());
      // The validated batch's buffer was handed over: the log stamped the epoch into it.
      assertEquals(4, owned.getInt(BatchLayout.PARTITION_LEADER_EPOCH_OFFSET));
      assertEquals(
          LogTestSupport.bytesOf(viaCopy.read(0, 1)),
          LogTestSupport.bytesOf(viaValidated.read(0, 1)));
    }
  }

  @Test
  void aValidatedBatchOverTheLogsLimitIsRefusedAndNothingIsWritten() throws IOException {
    ByteBuffer produced =
        MemoryBatchBuilder.build(
            List.of(Record.of(null, new byte[4096], TIMESTAMP)), Compression.NONE);
    BatchValidator validator = new BatchValidator(BatchLimit.maxBatchBytes(1 << 20), "test");
    validator.accept(produced.duplicate());
    var validated = validator.finish(produced);
    try (PartitionLog log =
        PartitionLog.open(
            dir.resolve("p"), settings(LogTestSupport.SEGMENT_BYTES, 1024), clock())) {
      RecordTooLargeException e =
          assertThrows(RecordTooLargeException.class, () -> log.appendValidatedBatch(validated, 1));
      assertTrue(e.getMessage().contains("1024"), e.getMessage());
      assertEquals(0, log.logEndOffset());
    }
  }

  @Test
  void aCorruptProducerBatchIsRefusedAndNothingIsWritten() throws IOException {
    ByteBuffer produced = MemoryBatchBuilder.build(RECORDS, Compression.NONE);
    // A bit of the first value ("v1") flips: every field still parses, only the CRC can tell.
    int valueAt = indexOf(produced, bytes("v1"));
    produced.put(valueAt, (byte) (produced.get(valueAt) ^ 1));
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      CorruptRecordException e =
          assertThrows(CorruptRecordException.class, () -> log.appendProducerBatch(produced, 1));
      assertTrue(e.getMessage().contains("does not match"), e.getMessage());
      assertEquals(0, log.logEndOffset());
      assertEquals(0, log.sizeInBytes());
    }
  }

  @Test
  void aStreamedBatchIsAppendedAsTheSameBytesAsInMemoryAndItsFileDeleted() throws IOException {
    byte[] value = LogTestSupport.value(0, 50_000);
    List<Header> headers = List.of(new Header("content-type", bytes("bin")));
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock());
        PartitionLog reference = PartitionLog.open(dir.resolve("reference"), settings(), clock())) {
      StreamingBatchWriter writer =
          StreamingBatchWriter.of(bytes("key"), headers, value.length, TIMESTAMP);
      StagedBatch staged;
      try (StreamingBatchWriter.Staging staging =
          writer.stage(log.staging().newTempFile("produce"))) {
        for (int at = 0; at < value.length; at += 4096) {
          staging.write(ByteBuffer.wrap(value, at, Math.min(4096, value.length - at)));
        }
        staged = staging.finish();
      }
      AppendInfo info = log.appendStreamedBatch(staged, 6);
      assertEquals(0, info.baseOffset());
      assertFalse(Files.exists(staged.file()), "the staged file is deleted after the append");
      reference.appendRecords(List.of(new Record(bytes("key"), value, headers, TIMESTAMP)), 6);
      LogFixtures.assertSegmentsIdentical(reference.dir(), log.dir());
      assertArrayEquals(value, log.locate(0).orElseThrow().readValue());
    }
  }

  private static int indexOf(ByteBuffer buf, byte[] what) {
    for (int i = buf.position(); i + what.length <= buf.limit(); i++) {
      if (buf.slice(i, what.length).equals(ByteBuffer.wrap(what))) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
