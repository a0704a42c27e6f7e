package dev.sluice.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.config.FlushPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's work, run once by hand without JMH and without timing: what one append and one
 * read invocation do to a log, and that they clean up. {@code bin/sluice bench append} measures it.
 */
class LogAppendBenchmarkTest {

  @TempDir Path tmp;

  private LogAppendBenchmark benchmark(long batchBytes, long totalBytes, String flush) {
    LogAppendBenchmark bench = new LogAppendBenchmark();
    bench.batchBytes = batchBytes;
    bench.totalBytes = totalBytes;
    bench.flush = flush;
    bench.dir = tmp.toString();
    bench.prepare();
    return bench;
  }

  @Test
  void anAppendInvocationWritesTheTotalAsWholeBatchesIntoAFreshLog() throws IOException {
    LogAppendBenchmark bench = benchmark(4096, 10 * 4096 + 100, "every-batch");
    LogAppendBenchmark.EmptyLog empty = new LogAppendBenchmark.EmptyLog();

    empty.open(bench);
    long size = bench.append(empty);

    assertEquals(10 * 4096, size);
    assertEquals(10, empty.log.logEndOffset());
    empty.delete();
    assertEmpty(tmp);
  }

  @Test
  void aReadInvocationPullsEveryByteOfTheLog() throws IOException {
    LogAppendBenchmark bench = benchmark(1000, 50_000, "os");
    LogAppendBenchmark.FullLog full = new LogAppendBenchmark.FullLog();

    full.fill(bench);
    long read = bench.read(full);

    assertEquals(full.log.sizeInBytes(), read);
    assertEquals(50_000, read);
    full.delete();
    assertEmpty(tmp);
  }

  @Test
  void optionsOutsideTheirRangeAreRefusedWithTheirName() {
    IllegalArgumentException small =
        assertThrows(
            IllegalArgumentException.class,
            () -> LogAppendBenchmark.checkBatchBytes(LogAppendBenchmark.BATCH_OVERHEAD));
    int overhead = LogAppendBenchmark.BATCH_OVERHEAD;
    assertEquals(
        "--batch-bytes " + overhead + " must be in (" + overhead + ", 1 GiB]", small.getMessage());
    assertEquals(FlushPolicy.EVERY_BATCH, LogAppendBenchmark.flushPolicy("every-batch"));
    assertEquals(FlushPolicy.OS, LogAppendBenchmark.flushPolicy("OS"));
    assertThrows(IllegalArgumentException.class, () -> LogAppendBenchmark.flushPolicy("never"));
    assertEquals(1, LogAppendBenchmark.batches(4096, 10));
  }

  private static void assertEmpty(Path dir) throws IOException {
    try (Stream<Path> left = Files.list(dir)) {
      assertFalse(left.findAny().isPresent(), "the benchmark's directory is deleted");
    }
  }
}
