package dev.sluice.format;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.utils.Utils;

/**
 * The one place the tests touch kafka-clients 4.4.0, the reference implementation of the format.
 * Its record classes are internal ({@code *.record.internal}), so an upgrade of kafka-clients is
 * expected to break only this class.
 */
final class KafkaReference {
  private KafkaReference() {}

  static org.apache.kafka.common.compress.Compression kafkaCompression(Compression c) {
    return switch (c) {
      case NONE -> org.apache.kafka.common.compress.Compression.NONE;
      case GZIP -> org.apache.kafka.common.compress.Compression.gzip().build();
      case SNAPPY -> org.apache.kafka.common.compress.Compression.snappy().build();
      case LZ4 -> org.apache.kafka.common.compress.Compression.lz4().build();
      case ZSTD -> org.apache.kafka.common.compress.Compression.zstd().build();
    };
  }

  /** The batch Kafka's own producer code would build for these records. */
  static ByteBuffer kafkaBatch(
      List<Record> records, Compression c, long producerId, short producerEpoch, int baseSequence) {
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(1024),
            (byte) 2,
            kafkaCompression(c),
            org.apache.kafka.common.record.TimestampType.CREATE_TIME,
            0L,
            -1L,
            producerId,
            producerEpoch,
            baseSequence);
    for (Record r : records) {
      org.apache.kafka.common.header.Header[] headers =
          r.headers().stream()
              .map(h -> new RecordHeader(h.key(), h.value()))
              .toArray(org.apache.kafka.common.header.Header[]::new);
      builder.append(
          r.timestamp(),
          r.key() == null ? null : ByteBuffer.wrap(r.key()),
          r.value() == null ? null : ByteBuffer.wrap(r.value()),
          headers);
    }
    return builder.build().buffer();
  }

  /** What Kafka reads from a buffer holding exactly one batch, after its {@code ensureValid}. */
  static KafkaView kafkaRead(ByteBuffer batch) {
    MemoryRecords records = MemoryRecords.readableRecords(batch.duplicate());
    List<MutableRecordBatch> batches = new ArrayList<>();
    records.batches().forEach(batches::add);
    if (batches.size() != 1) {
      throw new AssertionError("expected one batch, Kafka sees " + batches.size());
    }
    MutableRecordBatch b = batches.get(0);
    b.ensureValid();
    List<Record> read = new ArrayList<>();
    for (org.apache.kafka.common.record.internal.Record r : b) {
      List<Header> headers = new ArrayList<>();
      for (org.apache.kafka.common.header.Header h : r.headers()) {
        headers.add(new Header(h.key(), h.value()));
      }
      read.add(new Record(bytes(r.key()), bytes(r.value()), headers, r.timestamp()));
    }
    return new KafkaView(
        b.baseOffset(),
        b.lastOffset(),
        b.magic(),
        b.compressionType().id,
        b.isTransactional(),
        b.producerId(),
        b.producerEpoch(),
        b.baseSequence(),
        b.lastSequence(),
        b.maxTimestamp(),
        b.partitionLeaderEpoch(),
        b.sizeInBytes(),
        read);
  }

  record KafkaView(
      long baseOffset,
      long lastOffset,
      byte magic,
      int compressionId,
      boolean transactional,
      long producerId,
      short producerEpoch,
      int baseSequence,
      int lastSequence,
      long maxTimestamp,
      int partitionLeaderEpoch,
      int sizeInBytes,
      List<Record> records) {}

  private static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return null;
    }
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  static int murmur2(byte[] key) {
    return Utils.murmur2(key);
  }

  static int partitionForKey(byte[] key, int partitions) {
    return BuiltInPartitioner.partitionForKey(key, partitions);
  }

  static int kafkaSizeOfVarint(int v) {
    return org.apache.kafka.common.utils.internals.ByteUtils.sizeOfVarint(v);
  }

  static int kafkaSizeOfVarlong(long v) {
    return org.apache.kafka.common.utils.internals.ByteUtils.sizeOfVarlong(v);
  }

  static void kafkaWriteVarint(int v, ByteBuffer out) {
    org.apache.kafka.common.utils.internals.ByteUtils.writeVarint(v, out);
  }

  static void kafkaWriteVarlong(long v, ByteBuffer out) {
    org.apache.kafka.common.utils.internals.ByteUtils.writeVarlong(v, out);
  }
}
