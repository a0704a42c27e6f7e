package dev.sluice.log.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordBatchFormatTest {
  private static final BatchLimit LIMIT = BatchLimit.maxBatchBytes(64 * 1024);

  @TempDir Path dir;

  @Test
  void headerLayoutIsTheDocumentedOne() {
    assertEquals(12, RecordBatch.LOG_OVERHEAD);
    assertEquals(12, RecordBatch.LEADER_EPOCH_OFFSET);
    assertEquals(16, RecordBatch.MAGIC_OFFSET);
    assertEquals(17, RecordBatch.CRC_OFFSET);
    assertEquals(21, RecordBatch.ATTRIBUTES_OFFSET);
    assertEquals(23, RecordBatch.LAST_OFFSET_DELTA_OFFSET);
    assertEquals(27, RecordBatch.FIRST_TIMESTAMP_OFFSET);
    assertEquals(35, RecordBatch.MAX_TIMESTAMP_OFFSET);
    assertEquals(43, RecordBatch.RECORD_COUNT_OFFSET);
    assertEquals(47, RecordBatch.HEADER_BYTES);
  }

  @Test
  void builtBatchParsesBackWithItsFields() {
    List<Record> records =
        List.of(
            new Record(bytes("a"), bytes("one"), List.of(new Header("h", bytes("v")))),
            new Record(null, null, List.of()),
            new Record(bytes("c"), new byte[0], List.of(new Header("n", null))));
    ByteBuffer batch = MemoryBatchBuilder.build(100, 7, 1234, records);
    assertEquals(MemoryBatchBuilder.sizeOf(records), batch.remaining());
    BatchHeader h = BatchHeader.parse(batch, LIMIT, "test", 0);
    assertEquals(100, h.baseOffset());
    assertEquals(102, h.lastOffset());
    assertEquals(7, h.leaderEpoch());
    assertEquals(3, h.recordCount());
    assertEquals(1234, h.maxTimestamp());
    assertEquals(batch.remaining(), h.totalSize());
    assertEquals(h.crc(), RecordBatch.computeCrc(batch));
  }

  @Test
  void everyPrefixShorterThanTheHeaderNeedsMoreBytes() {
    ByteBuffer batch = MemoryBatchBuilder.build(0, 0, 0, List.of(Record.of(null, bytes("x"))));
    for (int n = 0; n < RecordBatch.HEADER_BYTES; n++) {
      ByteBuffer part = batch.slice(0, n);
      assertEquals(
          BatchHeader.NEED_MORE_BYTES, BatchHeader.peekTotalSize(part, LIMIT, "t", 0), "n=" + n);
      assertNull(BatchHeader.parse(part, LIMIT, "t", 0));
    }
    assertEquals(batch.remaining(), BatchHeader.peekTotalSize(batch, LIMIT, "t", 0));
  }

  @Test
  void lengthAboveTheLimitIsNamedAsSoonAsTheLengthFieldArrives() {
    ByteBuffer buf = ByteBuffer.allocate(RecordBatch.LOG_OVERHEAD);
    buf.putLong(0).putInt(Integer.MAX_VALUE).flip();
    CorruptRecordException e =
        assertThrows(
            CorruptRecordException.class,
            () ->
                BatchHeader.peekTotalSize(
                    buf,
                    BatchLimit.maxBatchBytes(268435456),
                    "orders-0/00000000000000000000.log",
                    4096));
    assertTrue(
        e.getMessage()
            .startsWith("orders-0/00000000000000000000.log position 4096: batch length 2147483647"),
        e.getMessage());
    assertTrue(e.getMessage().contains("exceeds max-batch-bytes 268435456"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, Integer.MIN_VALUE, 0, 34})
  void impossibleLengthsAreCorrupt(int length) {
    ByteBuffer buf = ByteBuffer.allocate(RecordBatch.HEADER_BYTES);
    buf.putLong(0).putInt(length).flip();
    CorruptRecordException e =
        assertThrows(
            CorruptRecordException.class, () -> BatchHeader.peekTotalSize(buf, LIMIT, "src", 0));
    assertTrue(e.getMessage().contains("batch length " + length), e.getMessage());
  }

  @Test
  void badMagicIsCorrupt() {
    ByteBuffer batch = MemoryBatchBuilder.build(0, 0, 0, List.of(Record.of(null, bytes("x"))));
    batch.put(RecordBatch.MAGIC_OFFSET, (byte) 2);
    CorruptRecordException e =
        assertThrows(
            CorruptRecordException.class,
            () -> BatchHeader.peekTotalSize(batch.slice(0, 17), LIMIT, "src", 10));
    assertEquals("src position 10: magic 2 is not the supported magic 1", e.getMessage());
  }

  @Test
  void crcFlipIsNamedWithBothValues() {
    ByteBuffer batch = MemoryBatchBuilder.build(5, 0, 0, List.of(Record.of(null, bytes("xyz"))));
    int last = batch.limit() - 1;
    batch.put(last, (byte) (batch.get(last) ^ 1));
    ByteBufferBatches it = new ByteBufferBatches(batch, LIMIT, "frame", 200);
    CorruptRecordException e = assertThrows(CorruptRecordException.class, it::nextBatch);
    assertTrue(e.getMessage().startsWith("frame position 200: crc mismatch"), e.getMessage());
    assertTrue(e.getMessage().matches(".*stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}"));
  }

  @Test
  void bufferWalkerReturnsWholeBatchesAndWaitsOnAPartialOne() {
    ByteBuffer a = MemoryBatchBuilder.build(0, 0, 0, List.of(Record.of(null, bytes("a"))));
    ByteBuffer b = MemoryBatchBuilder.build(1, 0, 0, List.of(Record.of(null, bytes("bb"))));
    ByteBuffer buf = ByteBuffer.allocate(a.remaining() + b.remaining() - 3);
    buf.put(a.duplicate()).put(b.slice(0, b.remaining() - 3)).flip();
    ByteBufferBatches it = new ByteBufferBatches(buf, LIMIT, "frame", 0);
    assertEquals(a, it.nextBatch());
    assertNull(it.nextBatch());
    assertEquals(b.remaining() - 3, it.remaining());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 46, 47, 65_536, 200_000})
  void streamingWriterProducesTheSameBytesAsTheMemoryBuilder(int valueLength) throws IOException {
    byte[] value = new byte[valueLength];
    for (int i = 0; i < valueLength; i++) {
      value[i] = (byte) (i * 7);
    }
    List<Header> headers = List.of(new Header("content-type", bytes("bin")));
    ByteBuffer expected =
        MemoryBatchBuilder.build(9, 3, 77, List.of(new Record(bytes("key"), value, headers)));
    assertEquals(
        expected.remaining(),
        RecordBatch.singleRecordBatchSize(bytes("key"), headers, valueLength));
    Path valueFile = Files.write(dir.resolve("value"), value);

    Path fromFile = dir.resolve("from-file");
    try (FileChannel src = FileChannel.open(valueFile);
        FileChannel dest = open(fromFile)) {
      // As the log does it: CRC first with the offset unknown, the offset set afterwards.
      StreamingBatchWriter writer =
          StreamingBatchWriter.of(0, 3, 77, bytes("key"), headers, valueLength);
      writer.computeValueCrc(src);
      writer.withBaseOffset(9).writeFromFile(src, dest, 5);
      assertEquals(9, writer.header().baseOffset());
    }
    byte[] want = new byte[expected.remaining()];
    expected.get(want);
    byte[] got = Files.readAllBytes(fromFile);
    assertEquals(5 + want.length, got.length);
    assertArrayEquals(want, java.util.Arrays.copyOfRange(got, 5, got.length));
  }

  @Test
  void fileReaderLocatesValuesWithoutReadingThem() throws IOException {
    List<Record> records =
        List.of(
            new Record(bytes("a"), bytes("first"), List.of(new Header("h1", bytes("x")))),
            new Record(null, null, List.of()),
            new Record(bytes("c"), bytes("third"), List.of()));
    ByteBuffer batch = MemoryBatchBuilder.build(40, 2, 0, records);
    Path file = dir.resolve("batch");
    try (FileChannel ch = open(file)) {
      ch.write(ByteBuffer.allocate(10), 0);
      ch.write(batch.duplicate(), 10);
      BatchHeader h = BatchHeader.parse(batch, LIMIT, "t", 0);
      FileRecordReader reader = new FileRecordReader(ch, file, 10, h);
      StoredRecord r0 = reader.next();
      assertEquals(40, r0.offset());
      assertArrayEquals(bytes("a"), r0.key());
      assertEquals("h1", r0.headers().get(0).key());
      assertArrayEquals(bytes("first"), r0.readValue());
      StoredRecord r1 = reader.next();
      assertNull(r1.key());
      assertEquals(-1, r1.valueLength());
      assertNull(r1.readValue());
      StoredRecord r2 = reader.next();
      assertEquals(42, r2.offset());
      assertArrayEquals(bytes("third"), r2.readValue());
      assertEquals(false, reader.hasNext());
      StoredRecord seek = new FileRecordReader(ch, file, 10, h).seek(42);
      assertEquals(r2.valuePosition(), seek.valuePosition());
    }
  }

  @Test
  void fileReaderRejectsAKeyLengthPastTheBatchEnd() throws IOException {
    ByteBuffer batch = MemoryBatchBuilder.build(0, 0, 0, List.of(Record.of(bytes("k"), null)));
    batch.putInt(RecordBatch.RECORDS_OFFSET, 1_000_000);
    Path file = dir.resolve("bad");
    try (FileChannel ch = open(file)) {
      ch.write(batch.duplicate(), 0);
      BatchHeader h = BatchHeader.parse(batch, LIMIT, "t", 0);
      CorruptRecordException e =
          assertThrows(
              CorruptRecordException.class, () -> new FileRecordReader(ch, file, 0, h).next());
      assertTrue(e.getMessage().contains("length 1000000 exceeds"), e.getMessage());
    }
  }

  private static FileChannel open(Path p) throws IOException {
    return FileChannel.open(
        p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
