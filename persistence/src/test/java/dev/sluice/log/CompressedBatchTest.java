package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.format.Header;
import dev.sluice.format.Record;
import dev.sluice.format.Varints;
import dev.sluice.log.record.FileRecordReader;
import dev.sluice.log.record.StoredRecord;
import dev.sluice.log.testing.LogTestSupport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compressed batches as kafka-clients 4.4.0 builds them, one codec at a time: the leader accepts
 * them, stores them byte for byte as Kafka's broker would, and every record reads back, through the
 * single-record read (key, headers, timestamp, value streamed from the decompressed records) and
 * through the file reader that NDJSON output uses. A stream the codec cannot decode, or records
 * that disagree with the header's count, are refused with nothing written.
 */
class CompressedBatchTest {
  @TempDir Path dir;

  /** Spans several codec blocks (lz4: 64 KiB, snappy: 32 KiB) and the reader's buffers. */
  private static final byte[] LARGE = LogTestSupport.value(7, 300_000);

  private static final List<Record> RECORDS =
      List.of(
          new Record(
              bytes("order-1"),
              bytes("{\"qty\":2}"),
              List.of(new Header("trace", new byte[] {1, 2}), new Header("empty", null)),
              TIMESTAMP + 5),
          Record.of(null, null, TIMESTAMP),
          new Record(
              bytes("large"), LARGE, List.of(new Header("after", bytes("v"))), TIMESTAMP + 1),
          Record.of(new byte[0], new byte[0], TIMESTAMP - 2),
          Record.of(bytes("last"), bytes("tail"), TIMESTAMP + 3));

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
  void aCompressedKafkaBatchIsStoredAsSentAndEveryRecordReadsBack(String codec) throws IOException {
    try (PartitionLog log =
        PartitionLog.open(dir.resolve("p"), settings(4 << 20, 1 << 20), clock())) {
      LogTestSupport.appendBatches(log, 2, 10);
      ByteBuffer produced = kafkaBatch(codec, RECORDS, 0, -1);
      AppendInfo info = log.appendProducerBatch(produced, 9);
      assertEquals(2, info.baseOffset());
      assertEquals(2 + RECORDS.size() - 1, info.lastOffset());
      // What Kafka's broker stores: the producer's batch with the offset and the epoch assigned.
      assertEquals(kafkaBatch(codec, RECORDS, 2, 9), LogTestSupport.bytesOf(log.read(2, 1)));

      for (int i = 0; i < RECORDS.size(); i++) {
        Record expected = RECORDS.get(i);
        RecordLocation r = log.locate(2 + i).orElseThrow();
        assertFalse(r.valueInFile());
        assertEquals(2 + i, r.offset());
        assertArrayEquals(expected.key(), r.key());
        assertEquals(expected.headers(), r.headers());
        assertEquals(expected.timestamp(), r.timestamp());
        assertEquals(9, r.leaderEpoch());
        assertEquals(2, r.batchBaseOffset());
        assertArrayEquals(expected.value(), r.readValue(), "value of record " + i);
        try (InputStream in = r.openValue()) {
          byte[] streamed = in.readAllBytes();
          assertArrayEquals(
              expected.value() == null ? new byte[0] : expected.value(), streamed, "record " + i);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
  void theFileReaderWalksACompressedBatchAndReadsValuesInPieces(String codec) throws IOException {
    ByteBuffer batch = kafkaBatch(codec, RECORDS, 40, 2);
    Path file = dir.resolve(codec);
    BatchHeader h = BatchHeader.decode(batch);
    try (FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(10), 0);
      ch.write(batch.duplicate(), 10);
      try (FileRecordReader reader =
          new FileRecordReader(ch, file, 10, h, BatchLimit.segmentBytes(1 << 20))) {
        for (int i = 0; i < RECORDS.size(); i++) {
          Record expected = RECORDS.get(i);
          assertTrue(reader.hasNext());
          StoredRecord r = reader.next();
          assertEquals(40 + i, r.offset());
          assertArrayEquals(expected.key(), r.key());
          assertEquals(expected.headers(), r.headers());
          assertEquals(expected.timestamp(), r.timestamp());
          if (expected.value() == null) {
            assertEquals(-1, r.valueLength());
            continue;
          }
          // Pieces of 1000 bytes, as NDJSON output reads them: a value is never held whole.
          ByteArrayOutputStream value = new ByteArrayOutputStream();
          for (long done = 0; done < r.valueLength(); ) {
            ByteBuffer piece = ByteBuffer.allocate((int) Math.min(1000, r.valueLength() - done));
            reader.readValue(r.valuePosition() + done, piece);
            value.write(piece.array());
            done += piece.capacity();
          }
          assertArrayEquals(expected.value(), value.toByteArray(), "value of record " + i);
        }
        assertFalse(reader.hasNext());
      }
      try (FileRecordReader reader = new FileRecordReader(ch, file, 10, h)) {
        StoredRecord last = reader.seek(44);
        assertArrayEquals(bytes("tail"), last.readValue());
        assertNull(new FileRecordReader(ch, file, 10, h).seek(41).readValue());
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
  void aStreamTheCodecCannotDecodeIsRefusedNamingTheCodec(String codec) throws IOException {
    ByteBuffer produced = kafkaBatch(codec, RECORDS, 0, -1);
    // The stream's first bytes (each codec's magic number or frame header) overwritten: damage
    // inside a block's literals may decode to other bytes without an error (the CRC is what
    // catches that), but no codec decodes a stream whose frame is broken.
    for (int i = 0; i < 8; i++) {
      produced.put(BatchLayout.HEADER_BYTES + i, (byte) 0x55);
    }
    // A valid CRC over the damaged bytes: only decompression can fail.
    produced.putInt(BatchLayout.CRC_OFFSET, BatchLayout.crc(produced));
    try (PartitionLog log =
        PartitionLog.open(dir.resolve("p"), settings(4 << 20, 1 << 20), clock())) {
      CorruptRecordException e =
          assertThrows(CorruptRecordException.class, () -> log.appendProducerBatch(produced, 1));
      assertTrue(
          e.getMessage().contains("the " + codec + " stream breaks")
              || e.getMessage().contains("of the decompressed " + codec + " records: "),
          e.getMessage());
      assertEquals(0, log.logEndOffset());
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
  void aCountTheRecordsDoNotMatchIsRefused(String codec) throws IOException {
    ByteBuffer produced = kafkaBatch(codec, RECORDS, 0, -1);
    // One record fewer announced than the stream holds; lastOffsetDelta follows so that only the
    // decompressed records can tell.
    produced.putInt(BatchLayout.RECORDS_COUNT_OFFSET, RECORDS.size() - 1);
    produced.putInt(BatchLayout.LAST_OFFSET_DELTA_OFFSET, RECORDS.size() - 2);
    produced.putInt(BatchLayout.CRC_OFFSET, BatchLayout.crc(produced));
    try (PartitionLog log =
        PartitionLog.open(dir.resolve("p"), settings(4 << 20, 1 << 20), clock())) {
      CorruptRecordException e =
          assertThrows(CorruptRecordException.class, () -> log.appendProducerBatch(produced, 1));
      assertTrue(
          e.getMessage()
              .contains(
                  "bytes follow the last of the " + (RECORDS.size() - 1) + " records at byte "),
          e.getMessage());
      assertTrue(e.getMessage().contains("of the decompressed " + codec + " records"));
      assertEquals(0, log.logEndOffset());
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"LZ4", "ZSTD"})
  void aValueLargerThanTheHeapIsStoredAndStreamedBack(String codecName) throws IOException {
    dev.sluice.format.Compression codec = dev.sluice.format.Compression.valueOf(codecName);
    // 600 MB decompressed, a few hundred KB compressed; the test JVM's heap is 512 MiB, so neither
    // the validator nor the reads can hold the value.
    int valueLength = 600_000_000;
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (OutputStream out = codec.compress(compressed)) {
      int body = 1 + 1 + 1 + 1 + Varints.sizeOfVarint(valueLength) + valueLength + 1;
      Varints.writeVarint(body, out);
      out.write(new byte[] {0, 0, 0}); // attributes, timestamp delta 0, offset delta 0
      Varints.writeVarint(-1, out); // null key
      Varints.writeVarint(valueLength, out);
      byte[] piece = new byte[1 << 16];
      for (int done = 0; done < valueLength; done += piece.length) {
        int n = Math.min(piece.length, valueLength - done);
        for (int i = 0; i < n; i++) {
          piece[i] = pattern(done + i);
        }
        out.write(piece, 0, n);
      }
      out.write(0); // no headers
      byte[] after = bytes("after");
      int second = 1 + 1 + 1 + 1 + 1 + after.length + 1;
      Varints.writeVarint(second, out);
      out.write(new byte[] {0, 0, 2}); // attributes, timestamp delta 0, offset delta 1
      Varints.writeVarint(-1, out);
      Varints.writeVarint(after.length, out);
      out.write(after);
      out.write(0);
    }
    byte[] records = compressed.toByteArray();
    ByteBuffer batch = ByteBuffer.allocate(BatchLayout.HEADER_BYTES + records.length);
    batch.putInt(BatchLayout.BATCH_LENGTH_OFFSET, batch.capacity() - BatchLayout.LOG_OVERHEAD);
    batch.putInt(BatchLayout.PARTITION_LEADER_EPOCH_OFFSET, -1);
    batch.put(BatchLayout.MAGIC_OFFSET, BatchLayout.MAGIC);
    batch.putShort(BatchLayout.ATTRIBUTES_OFFSET, (short) codec.id());
    batch.putInt(BatchLayout.LAST_OFFSET_DELTA_OFFSET, 1);
    batch.putLong(BatchLayout.BASE_TIMESTAMP_OFFSET, TIMESTAMP);
    batch.putLong(BatchLayout.MAX_TIMESTAMP_OFFSET, TIMESTAMP);
    batch.putLong(BatchLayout.PRODUCER_ID_OFFSET, -1);
    batch.putShort(BatchLayout.PRODUCER_EPOCH_OFFSET, (short) -1);
    batch.putInt(BatchLayout.BASE_SEQUENCE_OFFSET, -1);
    batch.putInt(BatchLayout.RECORDS_COUNT_OFFSET, 2);
    batch.position(BatchLayout.HEADER_BYTES);
    batch.put(records).flip();
    batch.putInt(BatchLayout.CRC_OFFSET, BatchLayout.crc(batch));

    try (PartitionLog log =
        PartitionLog.open(dir.resolve("p"), settings(1L << 30, 1L << 30), clock())) {
      log.appendProducerBatch(batch, 1);
      RecordLocation large = log.locate(0).orElseThrow();
      assertEquals(valueLength, large.valueLength());
      long read = 0;
      try (InputStream in = large.openValue()) {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) {
          for (int i = 0; i < n; i++) {
            if (buf[i] != pattern(read + i)) {
              throw new AssertionError("value byte " + (read + i) + " differs");
            }
          }
          read += n;
        }
      }
      assertEquals(valueLength, read);
      assertArrayEquals(bytes("after"), log.locate(1).orElseThrow().readValue());
    }
  }

  /** Compressible, and any misplaced byte shows. */
  private static byte pattern(long i) {
    return (byte) (i % 251);
  }

  /** The v2 batch kafka-clients' producer code builds with {@code codec}. */
  static ByteBuffer kafkaBatch(
      String codec, List<Record> records, long baseOffset, int partitionLeaderEpoch) {
    Compression compression =
        switch (codec) {
          case "gzip" -> Compression.gzip().build();
          case "snappy" -> Compression.snappy().build();
          case "lz4" -> Compression.lz4().build();
          case "zstd" -> Compression.zstd().build();
          default -> throw new IllegalArgumentException(codec);
        };
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(1024),
            (byte) 2,
            compression,
            TimestampType.CREATE_TIME,
            baseOffset,
            -1L,
            -1L,
            (short) -1,
            -1,
            false,
            partitionLeaderEpoch);
    for (Record r : records) {
      builder.append(
          r.timestamp(),
          r.key() == null ? null : ByteBuffer.wrap(r.key()),
          r.value() == null ? null : ByteBuffer.wrap(r.value()),
          r.headers().stream()
              .map(h -> new RecordHeader(h.key(), h.value()))
              .toArray(org.apache.kafka.common.header.Header[]::new));
    }
    ByteBuffer built = builder.build().buffer();
    ByteBuffer copy = ByteBuffer.allocate(built.remaining());
    copy.put(built.duplicate()).flip();
    return copy;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<Record> records() {
    return new ArrayList<>(RECORDS);
  }
}
