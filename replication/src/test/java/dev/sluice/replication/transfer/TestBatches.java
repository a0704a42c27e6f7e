package dev.sluice.replication.transfer;

import dev.sluice.log.record.MemoryBatchBuilder;
import dev.sluice.log.record.Record;
import dev.sluice.log.record.RecordBatch;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.apache.pekko.util.ByteString;

/** Builds real record batches of an exact total size for tests. */
final class TestBatches {
  private TestBatches() {}

  /** A one-record batch of exactly {@code totalSize} bytes (at least 59) with random content. */
  static ByteBuffer batchOfSize(long baseOffset, int epoch, int totalSize, long seed) {
    int valueLength = totalSize - RecordBatch.HEADER_BYTES - RecordBatch.RECORD_OVERHEAD;
    byte[] value = new byte[valueLength];
    new Random(seed).nextBytes(value);
    return MemoryBatchBuilder.build(baseOffset, epoch, 1_000L, List.of(Record.of(null, value)));
  }

  /** What a chunk of {@code whole} announces: the CRC32C of its head ({@link BatchHeadCrc}). */
  static int crcOf(ByteBuffer whole) {
    CRC32C c = new CRC32C();
    c.update(whole.duplicate().limit(whole.position() + RecordBatch.ATTRIBUTES_OFFSET));
    return (int) c.getValue();
  }

  static ByteString bytes(ByteBuffer b) {
    return ByteString.fromByteBuffer(b.duplicate());
  }
}
