package dev.sluice.log.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.BatchValidator;
import dev.sluice.format.Compression;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.format.Header;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.format.Varints;
import dev.sluice.log.testing.LogFixtures;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What storage adds to the v2 codec of {@code sluice-format}: the leader's stamp, the walk over
 * whole batches in a buffer, the streaming single-record writer and the positional record reader.
 */
class StoredBatchFormatTest {
  private static final BatchLimit LIMIT = BatchLimit.maxBatchBytes(1 << 20);
  private static final long TS = 1_767_225_600_000L;

  @TempDir Path dir;

  @Test
  void theLeadersStampLeavesTheProducersCrcValid() {
    ByteBuffer batch =
        MemoryBatchBuilder.build(
            List.of(Record.of(bytes("k"), bytes("v"), TS), Record.of(null, null, TS + 1)),
            Compression.NONE);
    int producerCrc = batch.getInt(BatchLayout.CRC_OFFSET);
    BatchFiles.stamp(batch, 1234, 9);
    BatchHeader h = BatchValidator.validate(batch, LIMIT, "stamped");
    assertEquals(1234, h.baseOffset());
    assertEquals(1235, h.lastOffset());
    assertEquals(9, h.partitionLeaderEpoch());
    assertEquals(producerCrc, h.crc());
    assertEquals(BatchLayout.crc(batch), h.crc());
    assertEquals(h, BatchFiles.stamped(BatchHeader.decode(unstampedCopy(batch)), 1234, 9));
  }

  @Test
  void magicOneIsRefusedWithBothMagicsNamed() {
    ByteBuffer batch = LogFixtures.leaderBatch(0, 0, List.of(Record.of(null, bytes("x"), TS)));
    batch.put(BatchLayout.MAGIC_OFFSET, (byte) 1);
    CorruptRecordException e =
        assertThrows(
            CorruptRecordException.class,
            () ->
                BatchHeader.peekTotalSize(
                    batch.slice(0, BatchLayout.MAGIC_OFFSET + 1), LIMIT, "src", 10));
    assertTrue(
        e.getMessage().contains("src position 10: ")
            && e.getMessage().contains("magic 1 is not the supported magic 2"),
        e.getMessage());
  }

  @Test
  void crcFlipIsNamedWithBothValues() {
    ByteBuffer batch = LogFixtures.leaderBatch(5, 0, List.of(Record.of(null, bytes("xyz"), TS)));
    int last = batch.limit() - 1;
    batch.put(last, (byte) (batch.get(last) ^ 1));
    ByteBufferBatches it = new ByteBufferBatches(batch, LIMIT, "frame", 200);
    CorruptRecordException e = assertThrows(CorruptRecordException.class, it::nextBatch);
    assertTrue(e.getMessage().startsWith("frame position 200: crc mismatch"), e.getMessage());
    assertTrue(e.getMessage().matches(".*stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}"));
  }

  @Test
  void bufferWalkerReturnsWholeBatchesAndWaitsOnAPartialOne() {
    ByteBuffer a = LogFixtures.leaderBatch(0, 0, List.of(Record.of(null, bytes("a"), TS)));
    ByteBuffer b = LogFixtures.leaderBatch(1, 0, List.of(Record.of(null, bytes("bb"), TS)));
    ByteBuffer buf = ByteBuffer.allocate(a.remaining() + b.remaining() - 3);
    buf.put(a.duplicate()).put(b.slice(0, b.remaining() - 3)).flip();
    ByteBufferBatches it = new ByteBufferBatches(buf, LIMIT, "frame", 0);
    assertEquals(a, it.nextBatch());
    assertNull(it.nextBatch());
    assertEquals(b.remaining() - 3, it.remaining());
  }

  /** Value lengths around the varint steps of the value length and of the record length. */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 57, 58, 63, 64, 8191, 8192, 65_536, 200_000})
  void streamingWriterProducesTheSameBytesAsTheMemoryBuilder(int valueLength) throws IOException {
    byte[] value = new byte[valueLength];
    for (int i = 0; i < valueLength; i++) {
      value[i] = (byte) (i * 7);
    }
    List<Header> headers = List.of(new Header("content-type", bytes("bin")));
    ByteBuffer expected =
        LogFixtures.leaderBatch(9, 3, List.of(new Record(bytes("key"), value, headers, TS)));
    byte[] want = new byte[expected.remaining()];
    expected.get(want);
    Path valueFile = Files.write(dir.resolve("value"), value);

    // From a file, as PartitionLog.appendValueFile does it: CRC first, then stamped and copied.
    Path fromFile = dir.resolve("from-file");
    try (FileChannel src = FileChannel.open(valueFile);
        FileChannel dest = open(fromFile)) {
      StreamingBatchWriter writer = StreamingBatchWriter.of(bytes("key"), headers, valueLength, TS);
      assertEquals(want.length, writer.totalSize());
      writer.computeValueCrc(src);
      writer.writeFromFile(src, dest, 5, 9, 3);
    }
    byte[] got = Files.readAllBytes(fromFile);
    assertEquals(5 + want.length, got.length);
    assertArrayEquals(want, Arrays.copyOfRange(got, 5, got.length));

    // Staged as the value arrives in chunks: the producer's unstamped batch, CRC patched.
    StreamingBatchWriter writer = StreamingBatchWriter.of(bytes("key"), headers, valueLength, TS);
    StagedBatch staged;
    try (StreamingBatchWriter.Staging staging = writer.stage(dir.resolve("staged"))) {
      for (int at = 0; at < valueLength; at += 1000) {
        staging.write(ByteBuffer.wrap(value, at, Math.min(1000, valueLength - at)));
      }
      staged = staging.finish();
    }
    ByteBuffer stagedBytes = ByteBuffer.wrap(Files.readAllBytes(staged.file()));
    assertEquals(BatchValidator.validate(stagedBytes, LIMIT, "staged"), staged.header());
    BatchFiles.stamp(stagedBytes, 9, 3);
    assertArrayEquals(want, stagedBytes.array());
  }

  @Test
  void stagingRefusesAValueLongerOrShorterThanAnnounced() throws IOException {
    StreamingBatchWriter writer = StreamingBatchWriter.of(null, List.of(), 10, TS);
    try (StreamingBatchWriter.Staging staging = writer.stage(dir.resolve("long"))) {
      staging.write(ByteBuffer.allocate(6));
      IOException e = assertThrows(IOException.class, () -> staging.write(ByteBuffer.allocate(5)));
      assertTrue(e.getMessage().contains("exceeds the announced value length 10"), e.getMessage());
      EOFException shortValue = assertThrows(EOFException.class, staging::finish);
      assertTrue(
          shortValue.getMessage().contains("the value ended after 6 of its announced 10 bytes"),
          shortValue.getMessage());
    }
  }

  @Test
  void fileReaderLocatesValuesWithoutReadingThem() throws IOException {
    List<Record> records =
        List.of(
            new Record(bytes("a"), bytes("first"), List.of(new Header("h1", bytes("x"))), TS),
            new Record(null, null, List.of(), TS - 3),
            new Record(bytes("c"), bytes("third"), List.of(new Header("n", null)), TS + 70));
    ByteBuffer batch = LogFixtures.leaderBatch(40, 2, records);
    Path file = dir.resolve("batch");
    try (FileChannel ch = open(file)) {
      ch.write(ByteBuffer.allocate(10), 0);
      ch.write(batch.duplicate(), 10);
      BatchHeader h = BatchHeader.parse(batch, LIMIT, "t", 0);
      FileRecordReader reader = new FileRecordReader(ch, file, 10, h);
      StoredRecord r0 = reader.next();
      assertEquals(40, r0.offset());
      assertArrayEquals(bytes("a"), r0.key());
      assertEquals(List.of(new Header("h1", bytes("x"))), r0.headers());
      assertEquals(TS, r0.timestamp());
      assertArrayEquals(bytes("first"), r0.readValue());
      StoredRecord r1 = reader.next();
      assertNull(r1.key());
      assertEquals(-1, r1.valueLength());
      assertNull(r1.readValue());
      assertEquals(TS - 3, r1.timestamp());
      StoredRecord r2 = reader.next();
      assertEquals(42, r2.offset());
      assertEquals(TS + 70, r2.timestamp());
      assertEquals(List.of(new Header("n", null)), r2.headers());
      assertArrayEquals(bytes("third"), r2.readValue());
      assertFalse(reader.hasNext());
      StoredRecord seek = new FileRecordReader(ch, file, 10, h).seek(42);
      assertEquals(r2.valuePosition(), seek.valuePosition());
    }
  }

  @Test
  void fileReaderReadsRecordsLargerThanItsWindow() throws IOException {
    byte[] bigKey = new byte[FileRecordReader.WINDOW_BYTES * 2 + 5];
    Arrays.fill(bigKey, (byte) 'k');
    byte[] value = new byte[FileRecordReader.WINDOW_BYTES * 3];
    List<Record> records =
        List.of(
            Record.of(bigKey, value, TS),
            new Record(null, bytes("v"), List.of(new Header("after", bigKey)), TS));
    ByteBuffer batch = LogFixtures.leaderBatch(0, 0, records);
    Path file = dir.resolve("big");
    try (FileChannel ch = open(file)) {
      ch.write(batch.duplicate(), 0);
      FileRecordReader reader =
          new FileRecordReader(ch, file, 0, BatchHeader.parse(batch, LIMIT, "t", 0));
      StoredRecord r0 = reader.next();
      assertArrayEquals(bigKey, r0.key());
      assertArrayEquals(value, r0.readValue());
      StoredRecord r1 = reader.next();
      assertArrayEquals(bigKey, r1.headers().get(0).value());
      assertArrayEquals(bytes("v"), r1.readValue());
    }
  }

  @Test
  void fileReaderRejectsAKeyLengthPastTheRecordEnd() throws IOException {
    ByteBuffer batch = LogFixtures.leaderBatch(0, 0, List.of(Record.of(bytes("k"), null, TS)));
    // Record: length varint, attributes, timestamp delta, offset delta, then the key length.
    int keyLengthAt = BatchLayout.HEADER_BYTES + 4;
    ByteBuffer bigLength = ByteBuffer.allocate(Varints.MAX_VARINT_BYTES);
    Varints.writeVarint(60, bigLength);
    assertEquals(1, bigLength.position(), "a one-byte varint keeps the layout");
    batch.put(keyLengthAt, bigLength.get(0));
    Path file = dir.resolve("bad");
    try (FileChannel ch = open(file)) {
      ch.write(batch.duplicate(), 0);
      BatchHeader h = BatchHeader.parse(batch, LIMIT, "t", 0);
      CorruptRecordException e =
          assertThrows(
              CorruptRecordException.class, () -> new FileRecordReader(ch, file, 0, h).next());
      assertTrue(e.getMessage().contains("key length 60 exceeds"), e.getMessage());
      assertTrue(e.getMessage().contains("record 0 at byte " + keyLengthAt), e.getMessage());
      assertEquals(0, e.recordIndex());
    }
  }

  @Test
  void fileReaderDecodesACompressedBatchFromItsStream() throws IOException {
    ByteBuffer batch =
        MemoryBatchBuilder.build(
            List.of(Record.of(null, bytes("x"), TS), Record.of(bytes("k"), bytes("yz"), TS + 1)),
            Compression.GZIP);
    BatchHeader h = BatchHeader.parse(batch, LIMIT, "t", 0);
    Path file = dir.resolve("gzip");
    try (FileChannel ch = open(file)) {
      ch.write(batch.duplicate(), 0);
      try (FileRecordReader reader = new FileRecordReader(ch, file, 0, h)) {
        StoredRecord r0 = reader.next();
        assertEquals(Compression.GZIP, r0.compressed().codec());
        assertArrayEquals(bytes("x"), r0.readValue());
        StoredRecord r1 = reader.next();
        assertArrayEquals(bytes("k"), r1.key());
        ByteBuffer value = ByteBuffer.allocate(2);
        reader.readValue(r1.valuePosition(), value);
        assertArrayEquals(bytes("yz"), value.array());
        assertFalse(reader.hasNext());
      }
    }
  }

  private static ByteBuffer unstampedCopy(ByteBuffer batch) {
    ByteBuffer copy = ByteBuffer.allocate(batch.remaining());
    copy.put(batch.duplicate()).flip();
    BatchFiles.stamp(copy, 0, BatchLayout.NO_PARTITION_LEADER_EPOCH);
    return copy;
  }

  private static FileChannel open(Path p) throws IOException {
    return FileChannel.open(
        p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
