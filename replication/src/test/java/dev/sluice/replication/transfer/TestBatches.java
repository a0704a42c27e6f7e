package dev.sluice.replication.transfer;

import dev.sluice.format.BatchLayout;
import dev.sluice.format.Record;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.log.testing.LogTestSupport;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.apache.pekko.util.ByteString;

/** Builds real record batches of an exact total size for tests. */
final class TestBatches {
  private TestBatches() {}

  /**
   * A one-record batch of exactly {@code totalSize} bytes (at least {@link
   * dev.sluice.format.BatchLayout#MIN_BATCH_BYTES}; see {@link
   * LogFixtures#valueLengthForBatchOfSize} for the few sizes no batch has) with random content.
   */
  static ByteBuffer batchOfSize(long baseOffset, int epoch, int totalSize, long seed) {
    byte[] value = new byte[(int) LogFixtures.valueLengthForBatchOfSize(totalSize)];
    new Random(seed).nextBytes(value);
    return LogFixtures.leaderBatch(
        baseOffset, epoch, List.of(Record.of(null, value, LogTestSupport.TIMESTAMP)));
  }

  /** What a chunk of {@code whole} announces: the CRC32C of its head ({@link BatchHeadCrc}). */
  static int crcOf(ByteBuffer whole) {
    CRC32C c = new CRC32C();
    c.update(whole.duplicate().limit(whole.position() + BatchLayout.ATTRIBUTES_OFFSET));
    return (int) c.getValue();
  }

  static ByteString bytes(ByteBuffer b) {
    return ByteString.fromByteBuffer(b.duplicate());
  }
}
