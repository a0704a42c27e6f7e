package dev.sluice.format;

import static dev.sluice.format.BatchLayout.*;
import static dev.sluice.format.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One malformed batch per check. Each case breaks exactly one rule (the CRC is recomputed after the
 * damage unless the CRC itself is the point) and asserts the record index, the byte position and
 * the message, which names the value and the limit.
 */
class BatchValidatorTest {
  private static final BatchLimit LIMIT = BatchLimit.maxBatchBytes(1 << 20);

  /** Bytes written field by field, for records that break a rule. */
  private static final class Raw {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Raw varint(long v) {
      ByteBuffer b = ByteBuffer.allocate(10);
      Varints.writeVarlong(v, b);
      out.write(b.array(), 0, b.position());
      return this;
    }

    Raw bytes(int... bs) {
      for (int b : bs) {
        out.write(b);
      }
      return this;
    }

    Raw text(String s) {
      byte[] b = Fixtures.utf8(s);
      out.write(b, 0, b.length);
      return this;
    }

    byte[] get() {
      return out.toByteArray();
    }
  }

  /**
   * A well-formed record body: attributes 0, timestamp delta, offset delta, key "k", value "vv",
   * one header "h" with a null value: 12 bytes.
   */
  private static Raw body(int offsetDelta) {
    return new Raw()
        .bytes(0)
        .varint(0)
        .varint(offsetDelta)
        .varint(1)
        .text("k")
        .varint(2)
        .text("vv")
        .varint(1)
        .varint(1)
        .text("h")
        .varint(-1);
  }

  private static byte[] record(byte[] body) {
    return new Raw().varint(body.length).bytes(toInts(body)).get();
  }

  private static int[] toInts(byte[] b) {
    int[] out = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[i] & 0xFF;
    }
    return out;
  }

  /** A batch of these record bytes with a correct header for {@code count} records and CRC. */
  private static ByteBuffer batch(int count, byte[]... records) {
    int size = HEADER_BYTES;
    for (byte[] r : records) {
      size += r.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.position(HEADER_BYTES);
    for (byte[] r : records) {
      b.put(r);
    }
    b.flip();
    MemoryBatchBuilder.writeHeader(
        b, (short) 0, count, T0, T0, NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_SEQUENCE);
    return b;
  }

  private static ByteBuffer valid() {
    return batch(2, record(body(0).get()), record(body(1).get()));
  }

  /** Applies the damage and recomputes the CRC, so that only the intended check can fire. */
  private static ByteBuffer damaged(ByteBuffer b, Consumer<ByteBuffer> damage) {
    damage.accept(b);
    b.putInt(CRC_OFFSET, BatchLayout.crc(b));
    return b;
  }

  private static CorruptRecordException refused(ByteBuffer b) {
    return assertThrows(
        CorruptRecordException.class, () -> BatchValidator.validate(b, LIMIT, "request"));
  }

  private static void assertRefused(
      ByteBuffer b, int recordIndex, long bytePosition, String message) {
    CorruptRecordException e = refused(b);
    assertEquals(message, e.getMessage());
    assertEquals(recordIndex, e.recordIndex(), "record index");
    assertEquals(bytePosition, e.bytePosition(), "byte position");
    int codec = Attributes.compressionId(b.getShort(b.position() + ATTRIBUTES_OFFSET));
    if (codec == 0 || codec > 4) {
      // The same verdict when the bytes arrive one at a time: nothing depends on chunk bounds.
      BatchValidator v = new BatchValidator(LIMIT, "request");
      CorruptRecordException chunked =
          assertThrows(
              CorruptRecordException.class,
              () -> {
                for (int p = b.position(); p < b.limit(); p++) {
                  v.accept(b.duplicate().position(p).limit(p + 1));
                }
                v.finish();
              });
      assertEquals(message, chunked.getMessage());
      assertEquals(bytePosition, chunked.bytePosition());
    }
  }

  @Test
  void aWellFormedBatchPasses() {
    ByteBuffer b = valid();
    assertEquals(87, b.remaining());
    BatchHeader h = BatchValidator.validate(b, LIMIT, "request");
    assertEquals(2, h.recordsCount());
    try (RecordReader r = RecordReader.of(b, "request", 0)) {
      List<Record> rs = r.readAll();
      assertEquals(
          new Record(Fixtures.utf8("k"), Fixtures.utf8("vv"), List.of(new Header("h", null)), T0),
          rs.get(1));
    }
  }

  @Test
  void aBatchLargerThanTheHeapIsCheckedInBoundedMemory() {
    // 1 GiB of value against the tests' 512 MiB heap: only a validator that holds nothing passes.
    int valueLength = 1 << 30;
    SingleRecordLayout layout =
        SingleRecordLayout.of(
            Fixtures.utf8("big"), valueLength, List.of(new Header("h", null)), T0);
    ByteBuffer chunk = ByteBuffer.wrap(Fixtures.random(64 * 1024, 3));
    java.util.zip.CRC32C crc = layout.crcAfterPrefix();
    for (long sent = 0; sent < valueLength; sent += chunk.capacity()) {
      crc.update(chunk.duplicate());
    }
    ByteBuffer suffix = layout.suffix();
    crc.update(suffix.duplicate());
    ByteBuffer prefix = layout.prefix();
    prefix.putInt(CRC_OFFSET, (int) crc.getValue());

    BatchValidator v = new BatchValidator(BatchLimit.maxBatchBytes(Integer.MAX_VALUE), "request");
    v.accept(prefix);
    for (long sent = 0; sent < valueLength; sent += chunk.capacity()) {
      v.accept(chunk);
    }
    v.accept(suffix);
    BatchHeader h = v.finish();
    assertEquals(layout.totalSize(), h.totalSize());
    assertEquals(layout.totalSize(), v.bytesAccepted());
  }

  // --- the header ---

  @Test
  void batchLengthBelowTheHeader() {
    assertRefused(
        damaged(valid(), b -> b.putInt(BATCH_LENGTH_OFFSET, 48)),
        -1,
        8,
        "request position 0: header field batchLength at byte 8 of the batch: batch length 48 is"
            + " below the minimum 49 (header without records)");
  }

  @ParameterizedTest(name = "max-batch-bytes = size {0}")
  @ValueSource(ints = {-1, 0, 1})
  void maxBatchBytesPlusMinusOne(int delta) {
    ByteBuffer b = valid();
    BatchLimit limit = BatchLimit.maxBatchBytes(87 + delta);
    if (delta >= 0) {
      assertEquals(87, BatchValidator.validate(b, limit, "request").totalSize());
      return;
    }
    // Refused as soon as the length field is in: the first 12 bytes.
    BatchValidator v = new BatchValidator(limit, "request");
    CorruptRecordException e =
        assertThrows(CorruptRecordException.class, () -> v.accept(b.duplicate().limit(12)));
    assertEquals(
        "request position 0: header field batchLength at byte 8 of the batch: batch length 75"
            + " (batch size 87) exceeds max-batch-bytes 86",
        e.getMessage());
    assertEquals(-1, e.recordIndex());
    assertEquals(8, e.bytePosition());
  }

  @Test
  void negativeBaseOffset() {
    assertRefused(
        damaged(valid(), b -> b.putLong(BASE_OFFSET_OFFSET, -3)),
        -1,
        0,
        "request position 0: header field baseOffset at byte 0 of the batch: negative base offset"
            + " -3");
  }

  @Test
  void magicOtherThanTwoIsRefusedAfterSeventeenBytes() {
    ByteBuffer b = damaged(valid(), x -> x.put(MAGIC_OFFSET, (byte) 1));
    BatchValidator v = new BatchValidator(LIMIT, "request");
    CorruptRecordException e =
        assertThrows(CorruptRecordException.class, () -> v.accept(b.duplicate().limit(17)));
    assertEquals(
        "request position 0: header field magic at byte 16 of the batch: magic 1 is not the"
            + " supported magic 2",
        e.getMessage());
    assertEquals(16, e.bytePosition());
  }

  @Test
  void unknownCodec() {
    assertRefused(
        damaged(valid(), b -> b.putShort(ATTRIBUTES_OFFSET, (short) 5)),
        -1,
        21,
        "request position 0: header field attributes at byte 21 of the batch: compression codec 5"
            + " is not one of 0-4 (none, gzip, snappy, lz4, zstd)");
  }

  @Test
  void noRecords() {
    assertRefused(
        MemoryBatchBuilder.build(List.of(), Compression.NONE),
        -1,
        57,
        "request position 0: header field recordsCount at byte 57 of the batch: records count 0 is"
            + " below the minimum 1");
  }

  @Test
  void lastOffsetDeltaDisagreesWithTheCount() {
    assertRefused(
        damaged(valid(), b -> b.putInt(LAST_OFFSET_DELTA_OFFSET, 5)),
        -1,
        23,
        "request position 0: header field lastOffsetDelta at byte 23 of the batch: last offset"
            + " delta 5 does not match records count 2 (expected 1)");
  }

  @Test
  void tooShortForItsRecordCount() {
    ByteBuffer b =
        damaged(
            valid(),
            x -> {
              x.putInt(RECORDS_COUNT_OFFSET, 4);
              x.putInt(LAST_OFFSET_DELTA_OFFSET, 3);
            });
    assertRefused(
        b,
        -1,
        57,
        "request position 0: header field recordsCount at byte 57 of the batch: batch length 75"
            + " leaves 26 bytes for 4 uncompressed records, below the minimum 28 (7 bytes each)");
  }

  @Test
  void controlBatch() {
    assertAttributeRefused(Attributes.CONTROL_FLAG, "a control batch cannot be produced");
  }

  @Test
  void transactionalBatch() {
    assertAttributeRefused(
        Attributes.TRANSACTIONAL_FLAG, "transactions are not supported (transactional flag set)");
  }

  @Test
  void logAppendTime() {
    assertAttributeRefused(
        Attributes.TIMESTAMP_TYPE_MASK,
        "LogAppendTime cannot be set by a producer; only CreateTime is supported");
  }

  @Test
  void deleteHorizon() {
    assertAttributeRefused(
        Attributes.DELETE_HORIZON_FLAG, "the delete-horizon flag cannot be set by a producer");
  }

  @Test
  void unusedAttributeBits() {
    assertAttributeRefused(0x0100, "unused attribute bits 7-15 are 0x100, must be 0");
  }

  private static void assertAttributeRefused(int bits, String detail) {
    assertRefused(
        damaged(valid(), b -> b.putShort(ATTRIBUTES_OFFSET, (short) bits)),
        -1,
        21,
        "request position 0: header field attributes at byte 21 of the batch: " + detail);
  }

  @Test
  void producerIdBelowMinusOne() {
    assertRefused(
        damaged(valid(), b -> b.putLong(PRODUCER_ID_OFFSET, -2)),
        -1,
        43,
        "request position 0: header field producerId at byte 43 of the batch: producer id -2 is"
            + " below -1 (no producer id)");
  }

  @Test
  void producerIdWithoutEpoch() {
    assertRefused(
        damaged(valid(), b -> b.putLong(PRODUCER_ID_OFFSET, 8)),
        -1,
        51,
        "request position 0: header field producerEpoch at byte 51 of the batch: producer epoch -1"
            + " is negative with producer id 8");
  }

  @Test
  void producerIdWithoutSequence() {
    ByteBuffer b =
        damaged(
            valid(),
            x -> {
              x.putLong(PRODUCER_ID_OFFSET, 8);
              x.putShort(PRODUCER_EPOCH_OFFSET, (short) 0);
            });
    assertRefused(
        b,
        -1,
        53,
        "request position 0: header field baseSequence at byte 53 of the batch: base sequence -1"
            + " is negative with producer id 8");
  }

  @Test
  void crcMismatch() {
    ByteBuffer b = valid();
    int stored = b.getInt(CRC_OFFSET);
    b.put(81, (byte) (b.get(81) ^ 1)); // a value byte of record 1
    CorruptRecordException e = refused(b);
    assertEquals(-1, e.recordIndex());
    assertEquals(17, e.bytePosition());
    assertEquals(
        "request position 0: header field crc at byte 17 of the batch: stored CRC-32C 0x"
            + Integer.toHexString(stored)
            + " does not match 0x"
            + Integer.toHexString(BatchLayout.crc(b))
            + " computed over bytes [21, 87)",
        e.getMessage());
  }

  @Test
  void endsInsideTheHeader() {
    BatchValidator v = new BatchValidator(LIMIT, "request");
    v.accept(valid().limit(40));
    CorruptRecordException e = assertThrows(CorruptRecordException.class, v::finish);
    assertEquals(
        "request position 0: the batch ends after 40 bytes, inside the 61-byte header",
        e.getMessage());
  }

  @Test
  void endsBeforeItsLength() {
    BatchValidator v = new BatchValidator(LIMIT, "request");
    v.accept(valid().limit(80));
    CorruptRecordException e = assertThrows(CorruptRecordException.class, v::finish);
    assertEquals(
        "request position 0: the batch ends after 80 of its 87 bytes (batch length 75)",
        e.getMessage());
    assertEquals(80, e.bytePosition());
  }

  @Test
  void moreBytesThanItsLength() {
    ByteBuffer b = valid();
    ByteBuffer longer = ByteBuffer.allocate(88).put(b.duplicate()).put((byte) 0).flip();
    BatchValidator v = new BatchValidator(LIMIT, "request");
    CorruptRecordException e = assertThrows(CorruptRecordException.class, () -> v.accept(longer));
    assertEquals(
        "request position 0: more bytes than the batch length 75 announces (batch size 87); byte"
            + " 87 is past the end",
        e.getMessage());
    assertEquals(87, e.bytePosition());
  }

  // --- the records ---

  @Test
  void recordLengthBelowTheMinimum() {
    byte[] short5 = new Raw().varint(5).bytes(0, 0, 2, 1, 1).get();
    assertRefused(
        batch(2, record(body(0).get()), short5, new byte[] {0, 0}),
        1,
        74,
        "request position 0: record 1 at byte 74 of the batch: record length 5 is below the"
            + " minimum 6");
  }

  @Test
  void recordLengthPastTheBatch() {
    byte[] body1 = body(1).get();
    byte[] tooLong = new Raw().varint(body1.length + 1).bytes(toInts(body1)).get();
    assertRefused(
        batch(2, record(body(0).get()), tooLong),
        1,
        74,
        "request position 0: record 1 at byte 74 of the batch: record length 13 exceeds the 12"
            + " bytes left in the batch");
  }

  @Test
  void offsetDeltaOutOfOrder() {
    assertRefused(
        batch(2, record(body(0).get()), record(body(2).get())),
        1,
        77,
        "request position 0: record 1 at byte 77 of the batch: offset delta 2 where 1 was"
            + " expected");
  }

  @Test
  void keyLengthBelowMinusOne() {
    byte[] body = new Raw().bytes(0).varint(0).varint(0).varint(-2).varint(-1).varint(0).get();
    assertRefused(
        batch(1, record(body)),
        0,
        65,
        "request position 0: record 0 at byte 65 of the batch: key length -2 is below -1 (null)");
  }

  @Test
  void keyPastTheRecord() {
    byte[] body =
        new Raw().bytes(0).varint(0).varint(0).varint(9).text("kk").varint(-1).varint(0).get();
    assertRefused(
        batch(1, record(body)),
        0,
        65,
        "request position 0: record 0 at byte 65 of the batch: key length 9 exceeds the 4 bytes"
            + " left in the record, which ends at byte 70 of the batch");
  }

  @Test
  void valueLengthBelowMinusOne() {
    byte[] body = new Raw().bytes(0).varint(0).varint(0).varint(-1).varint(-7).varint(0).get();
    assertRefused(
        batch(1, record(body)),
        0,
        66,
        "request position 0: record 0 at byte 66 of the batch: value length -7 is below -1"
            + " (null)");
  }

  @Test
  void negativeHeaderCount() {
    byte[] body = new Raw().bytes(0).varint(0).varint(0).varint(-1).varint(-1).varint(-1).get();
    assertRefused(
        batch(1, record(body)),
        0,
        67,
        "request position 0: record 0 at byte 67 of the batch: header count -1 is negative");
  }

  @Test
  void headerCountThatCannotFit() {
    byte[] body =
        new Raw()
            .bytes(0)
            .varint(0)
            .varint(0)
            .varint(-1)
            .varint(-1)
            .varint(3)
            .bytes(0, 1, 0, 1)
            .get();
    assertRefused(
        batch(1, record(body)),
        0,
        67,
        "request position 0: record 0 at byte 67 of the batch: header count 3 cannot fit the 4"
            + " bytes left in the record (2 bytes per header at least)");
  }

  @Test
  void negativeHeaderKeyLength() {
    byte[] body =
        new Raw()
            .bytes(0)
            .varint(0)
            .varint(0)
            .varint(-1)
            .varint(-1)
            .varint(1)
            .varint(-1)
            .varint(-1)
            .get();
    assertRefused(
        batch(1, record(body)),
        0,
        68,
        "request position 0: record 0 at byte 68 of the batch: header 0's key length -1 is below"
            + " the minimum 0");
  }

  @Test
  void headerValueLengthBelowMinusOne() {
    byte[] body =
        new Raw()
            .bytes(0)
            .varint(0)
            .varint(0)
            .varint(-1)
            .varint(-1)
            .varint(1)
            .varint(1)
            .text("h")
            .varint(-3)
            .get();
    assertRefused(
        batch(1, record(body)),
        0,
        70,
        "request position 0: record 0 at byte 70 of the batch: header 0's value length -3 is"
            + " below -1 (null)");
  }

  @Test
  void fieldsEndBeforeTheRecordLength() {
    byte[] body =
        new Raw().bytes(0).varint(0).varint(0).varint(-1).varint(-1).varint(0).bytes(9).get();
    assertRefused(
        batch(1, record(body)),
        0,
        68,
        "request position 0: record 0 at byte 68 of the batch: the record's fields end at byte 68"
            + " but its length says byte 69 of the batch");
  }

  @Test
  void overlongVarint() {
    byte[] body =
        new Raw()
            .bytes(0)
            .varint(0)
            .bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0)
            .varint(-1)
            .varint(0)
            .get();
    assertRefused(
        batch(1, record(body)),
        0,
        64,
        "request position 0: record 0 at byte 64 of the batch: offset delta: varint is longer than"
            + " the maximum 5 bytes");
  }

  @Test
  void bytesAfterTheLastRecord() {
    ByteBuffer b = batch(1, record(body(0).get()), record(body(1).get()));
    assertRefused(
        b,
        -1,
        74,
        "request position 0: bytes follow the last of the 1 records at byte 74 of the batch");
  }

  @Test
  void maxTimestampDisagreesWithTheRecords() {
    assertRefused(
        damaged(valid(), b -> b.putLong(MAX_TIMESTAMP_OFFSET, T0 + 1)),
        -1,
        35,
        "request position 0: header field maxTimestamp at byte 35 of the batch: max timestamp "
            + (T0 + 1)
            + " does not equal the largest record timestamp "
            + T0);
  }

  @Test
  void aCorruptRecordInACompressedBatchIsFoundInTheDecompressedRecords() throws Exception {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (var out = Compression.GZIP.compress(compressed)) {
      out.write(record(body(0).get()));
      out.write(record(body(2).get()));
    }
    byte[] c = compressed.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + c.length);
    b.position(HEADER_BYTES);
    b.put(c).flip();
    MemoryBatchBuilder.writeHeader(
        b,
        Attributes.of(Compression.GZIP),
        2,
        T0,
        T0,
        NO_PRODUCER_ID,
        NO_PRODUCER_EPOCH,
        NO_SEQUENCE);
    // The streaming pass checks header and CRC only; the pull pass finds the record.
    BatchValidator v = new BatchValidator(LIMIT, "request");
    v.accept(b);
    v.finish();
    assertRefused(
        b,
        1,
        16,
        "request position 0: record 1 at byte 16 of the decompressed gzip records: offset delta 2 where"
            + " 1 was expected");
  }

  @Test
  void aBrokenCompressedStream() {
    ByteBuffer b = MemoryBatchBuilder.build(Fixtures.mixed(), Compression.ZSTD);
    ByteBuffer broken =
        damaged(
            b,
            x -> {
              // The zstd frame's magic number.
              for (int i = HEADER_BYTES; i < HEADER_BYTES + 4; i++) {
                x.put(i, (byte) 0x55);
              }
            });
    CorruptRecordException e = refused(broken);
    assertTrue(
        e.getMessage().startsWith("request position 0: the zstd stream breaks after "),
        e.getMessage());
  }

  /**
   * {@code count} in the header, {@code records} in the codec's stream: a batch as a producer built
   * it.
   */
  private static ByteBuffer compressedBatch(Compression c, int count, byte[]... records)
      throws Exception {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (var out = c.compress(compressed)) {
      for (byte[] r : records) {
        out.write(r);
      }
    }
    byte[] bytes = compressed.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + bytes.length);
    b.position(HEADER_BYTES);
    b.put(bytes).flip();
    MemoryBatchBuilder.writeHeader(
        b, Attributes.of(c), count, T0, T0, NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_SEQUENCE);
    return b;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Compression.class,
      names = {"GZIP", "SNAPPY", "LZ4", "ZSTD"})
  void aCompressedBatchWithMoreRecordsThanItsCountIsRefused(Compression c) throws Exception {
    ByteBuffer b =
        compressedBatch(c, 2, record(body(0).get()), record(body(1).get()), record(body(2).get()));
    assertRefused(
        b,
        -1,
        26,
        "request position 0: bytes follow the last of the 2 records at byte 26 of the decompressed "
            + c.wireName()
            + " records");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Compression.class,
      names = {"GZIP", "SNAPPY", "LZ4", "ZSTD"})
  void aCompressedBatchWithFewerRecordsThanItsCountIsRefused(Compression c) throws Exception {
    ByteBuffer b = compressedBatch(c, 3, record(body(0).get()), record(body(1).get()));
    CorruptRecordException e = refused(b);
    assertEquals(2, e.recordIndex());
    assertTrue(
        e.getMessage()
            .startsWith(
                "request position 0: record 2 at byte 26 of the decompressed "
                    + c.wireName()
                    + " records: the bytes of the decompressed "
                    + c.wireName()
                    + " records end inside record 2"),
        e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Compression.class,
      names = {"GZIP", "SNAPPY", "LZ4", "ZSTD"})
  void aCorruptStreamWithAValidCrcIsRefusedNamingTheCodec(Compression c) {
    ByteBuffer b = MemoryBatchBuilder.build(Fixtures.mixed(), c);
    int compressedBytes = b.remaining() - HEADER_BYTES;
    // Garbage over the middle of the stream; the CRC is recomputed so only decompression can fail.
    ByteBuffer broken =
        damaged(
            b,
            x -> {
              for (int i = HEADER_BYTES + compressedBytes / 3;
                  i < HEADER_BYTES + 2 * compressedBytes / 3;
                  i++) {
                x.put(i, (byte) (i * 31));
              }
            });
    CorruptRecordException e = refused(broken);
    assertTrue(
        e.getMessage().startsWith("request position 0: the " + c.wireName() + " stream breaks")
            || e.getMessage().contains("of the decompressed " + c.wireName() + " records: "),
        e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Compression.class,
      names = {"GZIP", "SNAPPY", "LZ4", "ZSTD"})
  void aBatchThatDecompressesBeyondTheLimitIsRefused(Compression c) {
    // 64 records of 32 KiB zeros: a few KiB compressed, 2 MiB decompressed, above LIMIT's 1 MiB.
    List<Record> zeros = new java.util.ArrayList<>();
    for (int i = 0; i < 64; i++) {
      zeros.add(Record.of(null, new byte[32 * 1024], T0));
    }
    ByteBuffer b = MemoryBatchBuilder.build(zeros, c);
    assertTrue(b.remaining() < LIMIT.bytes() / 8, "compressed to " + b.remaining());
    assertRefused(
        b,
        -1,
        HEADER_BYTES,
        "request position 0: the "
            + c.wireName()
            + " records decompress to more than 1048576 bytes, above max-batch-bytes = 1048576"
            + " (decompressed records have the limit of an uncompressed batch)");
  }

  @Test
  void finishWithTheAssembledBatchHandsItOverValidatedAndRefusesOtherBytes() {
    ByteBuffer batch =
        MemoryBatchBuilder.build(
            List.of(Record.of(null, new byte[] {1, 2, 3}, 1L)), Compression.NONE);
    BatchValidator v = new BatchValidator(BatchLimit.maxBatchBytes(1 << 20), "body");
    v.accept(batch.duplicate());
    ValidatedBatch validated = v.finish(batch.duplicate());
    assertEquals(batch, validated.buffer());
    assertEquals(batch.remaining(), validated.header().totalSize());

    BatchValidator w = new BatchValidator(BatchLimit.maxBatchBytes(1 << 20), "body");
    w.accept(batch.duplicate());
    ByteBuffer shorter = batch.slice(0, batch.remaining() - 1);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> w.finish(shorter));
    assertTrue(e.getMessage().contains("were validated"), e.getMessage());
  }
}
