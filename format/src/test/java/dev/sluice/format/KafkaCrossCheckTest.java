package dev.sluice.format;

import static dev.sluice.format.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sluice's codec against kafka-clients 4.4.0, both ways, for all five codecs: what Sluice builds,
 * Kafka parses and validates with the same records; what Kafka's producer code builds, Sluice's
 * validator accepts and its reader returns with the same records.
 */
class KafkaCrossCheckTest {
  private static final BatchLimit LIMIT = BatchLimit.maxBatchBytes(16 << 20);

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (Compression c : Compression.values()) {
      cases.add(Arguments.of(c, "mixed", Fixtures.mixed(), -1L, (short) -1, -1));
      cases.add(Arguments.of(c, "idempotent", Fixtures.mixed(), 123_456L, (short) 7, 42));
      cases.add(
          Arguments.of(
              c, "sequence wraps", Fixtures.mixed(), 9L, (short) 0, Integer.MAX_VALUE - 1));
      cases.add(
          Arguments.of(
              c, "one null record", List.of(Record.of(null, null, T0)), -1L, (short) -1, -1));
      List<Record> many = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        many.add(Record.of(Fixtures.utf8("key-" + i), Fixtures.text(i % 300), T0 + i * 7L));
      }
      cases.add(Arguments.of(c, "1000 small records", many, 77L, (short) 1, 0));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1}: Kafka reads what Sluice builds")
  @MethodSource("cases")
  void kafkaReadsSluiceBatches(
      Compression c, String name, List<Record> records, long pid, short epoch, int seq) {
    ByteBuffer ours = MemoryBatchBuilder.build(records, c, pid, epoch, seq);
    KafkaReference.KafkaView kafka = KafkaReference.kafkaRead(ours);
    assertEquals(records, kafka.records());
    assertEquals(2, kafka.magic());
    assertEquals(c.id(), kafka.compressionId());
    assertEquals(0, kafka.baseOffset());
    assertEquals(records.size() - 1, kafka.lastOffset());
    assertEquals(pid, kafka.producerId());
    assertEquals(epoch, kafka.producerEpoch());
    assertEquals(seq, kafka.baseSequence());
    assertEquals(BatchHeader.decode(ours).lastSequence(), kafka.lastSequence());
    assertEquals(
        records.stream().mapToLong(Record::timestamp).max().orElseThrow(), kafka.maxTimestamp());
    assertEquals(-1, kafka.partitionLeaderEpoch());
    assertEquals(ours.remaining(), kafka.sizeInBytes());
    assertFalse(kafka.transactional());

    // And Sluice's own validator and reader agree with themselves.
    BatchHeader h = BatchValidator.validate(ours, LIMIT, "test");
    try (RecordReader reader = RecordReader.of(ours, "test", 0)) {
      assertEquals(records, reader.readAll());
    }
    assertEquals(c, h.compression());
  }

  @ParameterizedTest(name = "{0} {1}: Sluice reads what Kafka builds")
  @MethodSource("cases")
  void sluiceReadsKafkaBatches(
      Compression c, String name, List<Record> records, long pid, short epoch, int seq) {
    ByteBuffer kafka = KafkaReference.kafkaBatch(records, c, pid, epoch, seq);
    BatchHeader h = BatchValidator.validate(kafka, LIMIT, "kafka");
    assertEquals(c, h.compression());
    assertEquals(records.size(), h.recordsCount());
    assertEquals(pid, h.producerId());
    assertEquals(epoch, h.producerEpoch());
    assertEquals(seq, h.baseSequence());
    assertEquals(kafka.remaining(), h.totalSize());

    List<Record> read = new ArrayList<>();
    List<Long> offsets = new ArrayList<>();
    try (RecordReader reader = RecordReader.of(kafka, "kafka", 0)) {
      while (reader.hasNext()) {
        read.add(reader.next());
        offsets.add(reader.offset());
      }
    }
    assertEquals(records, read);
    for (int i = 0; i < offsets.size(); i++) {
      assertEquals(i, offsets.get(i));
    }
  }

  @ParameterizedTest(name = "{0}: Kafka batches validate chunk by chunk, whatever the chunking")
  @EnumSource(Compression.class)
  void kafkaBatchesValidateInAnyChunking(Compression c) {
    ByteBuffer kafka = KafkaReference.kafkaBatch(Fixtures.mixed(), c, 1L, (short) 0, 0);
    for (int chunk : new int[] {1, 7, 60, 61, 62, 4096, 65_536}) {
      BatchValidator v = new BatchValidator(LIMIT, "kafka");
      for (int p = kafka.position(); p < kafka.limit(); p += chunk) {
        v.accept(kafka.duplicate().position(p).limit(Math.min(kafka.limit(), p + chunk)));
      }
      assertEquals(BatchHeader.decode(kafka), v.finish(), "chunks of " + chunk);
    }
  }
}
