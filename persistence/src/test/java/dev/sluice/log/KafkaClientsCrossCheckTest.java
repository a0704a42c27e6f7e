package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.format.Header;
import dev.sluice.format.Record;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segments are Kafka's own format: kafka-clients 4.4.0 (the reference; test scope only) parses a
 * segment Sluice wrote, CRCs and records included, and a batch built by kafka-clients' producer
 * code is stored exactly as Kafka's broker would store it. Kafka's record classes are internal
 * ({@code *.record.internal}); an upgrade of kafka-clients is expected to break only this class.
 */
class KafkaClientsCrossCheckTest {
  @TempDir Path dir;

  private static final List<Record> RECORDS =
      List.of(
          new Record(
              bytes("order-1"),
              bytes("{\"qty\":2}"),
              List.of(new Header("trace", new byte[] {1, 2}), new Header("empty", null)),
              TIMESTAMP + 5),
          Record.of(null, null, TIMESTAMP),
          Record.of(new byte[0], new byte[0], TIMESTAMP - 2));

  @Test
  void kafkaClientsParseASegmentSluiceWrote() throws IOException {
    byte[] big = LogTestSupport.value(3, 40_000);
    Path valueFile = Files.write(dir.resolve("value"), big);
    List<Record> expected = new ArrayList<>(RECORDS);
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      log.appendRecords(RECORDS, 3);
      log.appendValueFile(bytes("big"), List.of(new Header("h", null)), valueFile, TIMESTAMP, 4);
      expected.add(new Record(bytes("big"), big, List.of(new Header("h", null)), TIMESTAMP));
      // An idempotent producer's first batch on this partition starts at sequence 0.
      log.appendProducerBatch(kafkaBatch(List.of(RECORDS.get(0)), 0, -1, 42, (short) 1, 0), 4);
      expected.add(RECORDS.get(0));
    }
    ByteBuffer segment =
        ByteBuffer.wrap(Files.readAllBytes(LogTestSupport.logFiles(dir.resolve("p")).get(0)));
    List<MutableRecordBatch> batches = new ArrayList<>();
    MemoryRecords.readableRecords(segment).batches().forEach(batches::add);
    assertEquals(3, batches.size());
    long[] bases = {0, 3, 4};
    int[] epochs = {3, 4, 4};
    List<Record> read = new ArrayList<>();
    List<Long> offsets = new ArrayList<>();
    for (int i = 0; i < batches.size(); i++) {
      MutableRecordBatch b = batches.get(i);
      b.ensureValid(); // Kafka's own CRC check
      assertEquals(bases[i], b.baseOffset());
      assertEquals(epochs[i], b.partitionLeaderEpoch());
      assertEquals(2, b.magic());
      for (org.apache.kafka.common.record.internal.Record r : b) {
        offsets.add(r.offset());
        read.add(sluiceRecord(r));
      }
    }
    assertEquals(expected, read);
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L), offsets);
    assertEquals(42, batches.get(2).producerId());
    assertEquals(0, batches.get(2).baseSequence());
  }

  @Test
  void aBatchKafkaClientsBuiltIsStoredByteForByteAsKafkaWouldStoreIt() throws IOException {
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      LogTestSupport.appendBatches(log, 2, 10);
      // As a producer sends it: base offset 0, no partition leader epoch.
      ByteBuffer produced = kafkaBatch(RECORDS, 0, -1, 1000, (short) 3, 0);
      AppendInfo info = log.appendProducerBatch(produced, 9);
      assertEquals(2, info.baseOffset());
      assertEquals(4, info.lastOffset());
      // What Kafka's broker stores: the same batch with the offset and the epoch assigned.
      ByteBuffer kafkaStored = kafkaBatch(RECORDS, 2, 9, 1000, (short) 3, 0);
      ByteBuffer stored = LogTestSupport.bytesOf(log.read(2, 1));
      assertEquals(kafkaStored, stored);
      for (int i = 0; i < RECORDS.size(); i++) {
        RecordLocation r = log.locate(2 + i).orElseThrow();
        assertArrayEquals(RECORDS.get(i).key(), r.key());
        assertArrayEquals(RECORDS.get(i).value(), r.readValue());
        assertEquals(RECORDS.get(i).headers(), r.headers());
        assertEquals(RECORDS.get(i).timestamp(), r.timestamp());
        assertEquals(9, r.leaderEpoch());
      }
    }
  }

  /** The uncompressed v2 batch kafka-clients' producer code builds. */
  private static ByteBuffer kafkaBatch(
      List<Record> records,
      long baseOffset,
      int partitionLeaderEpoch,
      long producerId,
      short producerEpoch,
      int baseSequence) {
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(1024),
            (byte) 2,
            Compression.NONE,
            TimestampType.CREATE_TIME,
            baseOffset,
            -1L,
            producerId,
            producerEpoch,
            baseSequence,
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
    return builder.build().buffer();
  }

  private static Record sluiceRecord(org.apache.kafka.common.record.internal.Record r) {
    List<Header> headers = new ArrayList<>();
    for (org.apache.kafka.common.header.Header h : r.headers()) {
      headers.add(new Header(h.key(), h.value()));
    }
    return new Record(bytes(r.key()), bytes(r.value()), headers, r.timestamp());
  }

  private static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return null;
    }
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
