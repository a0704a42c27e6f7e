package dev.sluice.replication.transfer;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchCrcCacheTest {
  @TempDir Path dir;

  @Test
  void aBatchRewrittenAtTheSamePlaceAfterTruncationGetsItsOwnCrc() throws Exception {
    BatchCrcCache cache = new BatchCrcCache();
    try (PartitionLog log =
        PartitionLog.open(
            dir.resolve("p"), StorageSettings.of(1 << 20, 1 << 20), Clock.systemUTC())) {
      log.appendRecords(List.of(Record.of(null, bytes(1, 5000), TIMESTAMP)), 1);
      LogSlice first = batchAt(log, 0);
      int firstCrc = crcOfFile(first);
      assertEquals(firstCrc, cache.crcOf(first));
      assertEquals(firstCrc, cache.crcOf(first)); // from the cache

      log.truncateTo(0);
      log.appendRecords(List.of(Record.of(null, bytes(2, 5000), TIMESTAMP)), 1);
      LogSlice second = batchAt(log, 0);
      assertEquals(first.position(), second.position());
      assertEquals(first.length(), second.length());
      assertNotEquals(firstCrc, crcOfFile(second));
      assertEquals(crcOfFile(second), cache.crcOf(second));
    }
  }

  private static LogSlice batchAt(PartitionLog log, long offset) throws Exception {
    return log.readBatches(offset, 1).slices().get(0);
  }

  private static int crcOfFile(LogSlice b) throws Exception {
    byte[] all = Files.readAllBytes(b.segmentFile());
    CRC32C crc = new CRC32C();
    crc.update(ByteBuffer.wrap(all, (int) b.position(), (int) b.length()));
    return (int) crc.getValue();
  }

  private static byte[] bytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}
