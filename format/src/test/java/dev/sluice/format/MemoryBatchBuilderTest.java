package dev.sluice.format;

import static dev.sluice.format.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MemoryBatchBuilderTest {

  @Test
  void layoutConstantsAreKafkasV2() {
    assertEquals(61, BatchLayout.HEADER_BYTES);
    assertEquals(12, BatchLayout.LOG_OVERHEAD);
    assertEquals(17, BatchLayout.CRC_OFFSET);
    assertEquals(21, BatchLayout.ATTRIBUTES_OFFSET);
    assertEquals(43, BatchLayout.PRODUCER_ID_OFFSET);
    assertEquals(57, BatchLayout.RECORDS_COUNT_OFFSET);
    assertEquals(7, BatchLayout.MIN_RECORD_BYTES);
    assertEquals(68, BatchLayout.MIN_BATCH_BYTES);
  }

  @Test
  void aBatchBuiltIntoAUsedBufferHasTheBytesOfOneBuiltFreshAndATooSmallBufferIsRefused() {
    List<Record> records = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      records.add(Record.of(("k" + i).getBytes(), Fixtures.random(40 + i, 40 + i), T0 + i));
    }
    ByteBuffer fresh = MemoryBatchBuilder.build(records, Compression.NONE, 7L, (short) 1, 40);
    byte[] garbage = new byte[fresh.remaining() + 100];
    java.util.Arrays.fill(garbage, (byte) 0x5a);
    ByteBuffer used = ByteBuffer.wrap(garbage);
    used.position(17).limit(30);

    ByteBuffer built =
        MemoryBatchBuilder.build(records, Compression.NONE, 7L, (short) 1, 40, size -> used);
    assertSame(used, built);
    assertEquals(0, built.position());
    assertEquals(fresh, built, "header, records and CRC as in a fresh buffer");

    IllegalStateException small =
        assertThrows(
            IllegalStateException.class,
            () ->
                MemoryBatchBuilder.build(
                    records,
                    Compression.NONE,
                    7L,
                    (short) 1,
                    40,
                    size -> ByteBuffer.allocate(size - 1)));
    assertEquals(
        "a buffer of "
            + (fresh.remaining() - 1)
            + " bytes for a batch of "
            + fresh.remaining()
            + " bytes",
        small.getMessage());
  }

  @Test
  void anEmptyBatchIsTheBareHeader() {
    assertEquals(61, MemoryBatchBuilder.sizeOf(List.of()));
    ByteBuffer b = MemoryBatchBuilder.build(List.of(), Compression.NONE);
    assertEquals(61, b.remaining());
    BatchHeader h = BatchHeader.decode(b);
    assertEquals(0, h.recordsCount());
    assertEquals(-1, h.lastOffsetDelta());
    assertEquals(BatchLayout.NO_TIMESTAMP, h.maxTimestamp());
  }

  /**
   * One record with a null key and no headers: body = 1 + 1 + 1 + 1 + varint(v) + v + 1, total = 61
   * + varint(body) + body. The rows sit on both sides of every varint boundary.
   */
  @ParameterizedTest(name = "value of {0} bytes: batch of {1} bytes")
  @CsvSource({
    "-1, 68", // null value: the smallest record, 7 bytes
    "0, 68", // empty value: length 0 takes one byte, like -1
    "57, 125", // body 63: one-byte record length
    "58, 127", // body 64: the record length grows to 2 bytes
    "63, 132", // value length 63: one-byte value length
    "64, 134", // value length 64: two bytes, body 71
    "1024, 1094",
    "8184, 8254", // body 8191: two-byte record length
    "8185, 8256", // body 8192: three bytes
    "8191, 8262", // value length 8191: two bytes
    "8192, 8264" // value length 8192: three bytes
  })
  void oneRecordSizeTable(int valueLength, long batchBytes) {
    byte[] value = valueLength < 0 ? null : Fixtures.random(valueLength, valueLength);
    List<Record> records = List.of(Record.of(null, value, T0));
    assertEquals(batchBytes, MemoryBatchBuilder.sizeOf(records));
    ByteBuffer ours = MemoryBatchBuilder.build(records, Compression.NONE);
    assertEquals(batchBytes, ours.remaining());
    assertEquals(batchBytes, BatchHeader.decode(ours).totalSize());
    ByteBuffer kafka = KafkaReference.kafkaBatch(records, Compression.NONE, -1, (short) -1, -1);
    assertEquals(kafka, ours, "byte for byte what Kafka's MemoryRecordsBuilder writes");
  }

  @Test
  void anEmptyKeyAndANullKeyTakeTheSameByte() {
    long nullKey = MemoryBatchBuilder.sizeOf(List.of(Record.of(null, new byte[3], T0)));
    long emptyKey = MemoryBatchBuilder.sizeOf(List.of(Record.of(new byte[0], new byte[3], T0)));
    assertEquals(nullKey, emptyKey);
    assertEquals(71, nullKey);
  }

  @Test
  void timestampDeltasAndOffsetDeltasGrowTheirVarints() {
    List<Record> near = new ArrayList<>();
    List<Record> far = new ArrayList<>();
    near.add(Record.of(null, null, T0));
    far.add(Record.of(null, null, T0));
    near.add(Record.of(null, null, T0 + 63));
    far.add(Record.of(null, null, T0 + 64));
    assertEquals(61 + 7 + 7, MemoryBatchBuilder.sizeOf(near));
    assertEquals(61 + 7 + 8, MemoryBatchBuilder.sizeOf(far));

    List<Record> many = new ArrayList<>();
    for (int i = 0; i < 65; i++) {
      many.add(Record.of(null, null, T0));
    }
    // Offset deltas 0..63 take one byte; 64 takes two.
    assertEquals(61 + 64 * 7 + 8, MemoryBatchBuilder.sizeOf(many));
    assertEquals(
        KafkaReference.kafkaBatch(many, Compression.NONE, -1, (short) -1, -1),
        MemoryBatchBuilder.build(many, Compression.NONE));
  }

  @Test
  void headerFieldsOfAnIdempotentBatch() {
    List<Record> records = Fixtures.mixed();
    ByteBuffer b =
        MemoryBatchBuilder.build(
            records, Compression.NONE, 4711L, (short) 3, Integer.MAX_VALUE - 2);
    BatchHeader h = BatchHeader.parse(b, BatchLimit.maxBatchBytes(1 << 20), "test", 0);
    assertEquals(0, h.baseOffset());
    assertEquals(-1, h.partitionLeaderEpoch());
    assertEquals(BatchLayout.MAGIC, h.magic());
    assertEquals(BatchLayout.crc(b), h.crc());
    assertEquals(records.size(), h.recordsCount());
    assertEquals(records.size() - 1, h.lastOffsetDelta());
    assertEquals(records.get(0).timestamp(), h.baseTimestamp());
    assertEquals(Long.MAX_VALUE / 4, h.maxTimestamp());
    assertEquals(4711L, h.producerId());
    assertEquals(3, h.producerEpoch());
    assertEquals(Integer.MAX_VALUE - 2, h.baseSequence());
    // 7 records from MAX - 2: MAX - 2, MAX - 1, MAX, 0, 1, 2, 3.
    assertEquals(3, h.lastSequence());
    assertEquals(Compression.NONE, h.compression());
    assertEquals(TimestampType.CREATE_TIME, h.timestampType());
    assertEquals(
        KafkaReference.kafkaBatch(
            records, Compression.NONE, 4711L, (short) 3, Integer.MAX_VALUE - 2),
        b);
  }

  @Test
  void inconsistentProducerFieldsAreRefused() {
    List<Record> one = List.of(Record.of(null, null, T0));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MemoryBatchBuilder.build(one, Compression.NONE, 5L, (short) 0, -1));
    assertEquals(
        "producer id 5 needs a non-negative epoch and base sequence, got epoch 0 and sequence -1",
        e.getMessage());
  }
}
