package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLimit;
import dev.sluice.log.record.ByteBufferBatches;
import dev.sluice.log.testing.LogTestSupport;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readers running alongside the single writer only ever see whole, committed batches. */
class PartitionLogConcurrentReadTest {
  @TempDir Path dir;

  @Test
  void readersSeeWholeBatchesBelowTheLogEndWhileTheWriterAppendsAndRolls() throws Exception {
    try (PartitionLog log = PartitionLog.open(dir.resolve("p"), settings(), clock())) {
      AtomicBoolean writing = new AtomicBoolean(true);
      CompletableFuture<Long> reader =
          CompletableFuture.supplyAsync(
              () -> {
                long offset = 0;
                long batches = 0;
                try {
                  while (writing.get() || offset < log.logEndOffset()) {
                    FetchResult r = log.read(offset, 8 * 1024);
                    assertTrue(r.nextOffset() <= r.logEndOffset());
                    ByteBuffer bytes = LogTestSupport.bytesOf(r);
                    ByteBufferBatches it =
                        new ByteBufferBatches(bytes, BatchLimit.segmentBytes(1 << 20), "read", 0);
                    for (ByteBuffer b = it.nextBatch(); b != null; b = it.nextBatch()) {
                      BatchHeader h =
                          BatchHeader.parse(b, BatchLimit.segmentBytes(1 << 20), "read", 0);
                      assertEquals(offset, h.baseOffset());
                      offset = h.nextOffset();
                      batches++;
                    }
                    assertEquals(0, it.remaining());
                  }
                } catch (Exception e) {
                  throw new AssertionError(e);
                }
                return batches;
              });
      try {
        LogTestSupport.appendBatches(log, 2000, 300);
      } finally {
        writing.set(false);
      }
      assertEquals(2000L, reader.get(2, TimeUnit.MINUTES));
      assertTrue(log.segmentCount() > 5);
    }
  }
}
