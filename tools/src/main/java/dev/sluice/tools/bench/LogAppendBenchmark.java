package dev.sluice.tools.bench;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.Record;
import dev.sluice.log.Directories;
import dev.sluice.log.FetchResult;
import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Append and read throughput of one {@link PartitionLog} on local disk, for one batch size and
 * flush policy; {@code bin/sluice bench append} runs it ({@code BenchAppendCommand}).
 *
 * <p>Each invocation of {@link #append} writes {@code totalBytes} as batches of {@code batchBytes}
 * (one record each) into a fresh log in a fresh directory, then flushes: a single-shot measurement,
 * because a log that kept growing across a timed loop would measure segment rolls and a filling
 * disk rather than appends. Each invocation of {@link #read} reads such a log from offset 0 to its
 * end through {@link PartitionLog#read} and pulls every slice's bytes into a direct buffer, as a
 * server would before sending; the page cache is warm, so read figures are an upper bound. The
 * runner sets the operations per invocation to the number of batches, so a score is the time of one
 * batch, in milliseconds.
 *
 * <p>Thread-safety: JMH runs each benchmark on one thread with its own state.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class LogAppendBenchmark {

  /** Bytes of one batch: its header and one record's overhead, then the value. */
  @Param("1048576")
  public long batchBytes;

  /** Bytes written per invocation, rounded down to whole batches (at least one). */
  @Param("268435456")
  public long totalBytes;

  /** {@code sluice.storage.flush}: {@code os} or {@code every-batch}. */
  @Param("os")
  public String flush;

  /** Where the logs are created (a fresh directory under it, deleted after); empty: temp. */
  @Param("")
  public String dir;

  /** The smallest batch: a header and one empty record. */
  public static final int BATCH_OVERHEAD = BatchLayout.MIN_BATCH_BYTES;

  /** The largest batch this benchmark writes. */
  public static final long MAX_BATCH_BYTES = 1L << 30;

  /** A log in a fresh directory, deleted with it afterwards; the subclasses choose when. */
  public abstract static class FreshLog {
    Path dir;
    PartitionLog log;

    void openFresh(LogAppendBenchmark bench) throws IOException {
      dir = bench.freshDirectory();
      log = PartitionLog.open(dir, bench.settings(), Clock.systemUTC());
    }

    void closeAndDelete() throws IOException {
      log.close();
      Directories.deleteTree(dir);
    }
  }

  /** A fresh, empty log for every append invocation. */
  @State(Scope.Thread)
  public static class EmptyLog extends FreshLog {
    @Setup(Level.Invocation)
    public void open(LogAppendBenchmark bench) throws IOException {
      openFresh(bench);
    }

    @TearDown(Level.Invocation)
    public void delete() throws IOException {
      closeAndDelete();
    }
  }

  /** One log written once per trial and read by every read invocation. */
  @State(Scope.Thread)
  public static class FullLog extends FreshLog {
    ByteBuffer buffer;

    @Setup(Level.Trial)
    public void fill(LogAppendBenchmark bench) throws IOException {
      openFresh(bench);
      bench.appendAll(log);
      buffer = ByteBuffer.allocateDirect(1 << 20);
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
      closeAndDelete();
    }
  }

  private List<Record> batch;

  @Setup(Level.Trial)
  public void prepare() {
    checkBatchBytes(batchBytes);
    byte[] value = new byte[(int) valueLength(batchBytes)];
    new Random(42).nextBytes(value);
    batch = List.of(Record.of(null, value, System.currentTimeMillis()));
  }

  /** Writes {@code totalBytes} into an empty log and flushes; returns the log's size. */
  @Benchmark
  public long append(EmptyLog empty) throws IOException {
    return appendAll(empty.log);
  }

  /** Reads the whole log; returns the bytes read. */
  @Benchmark
  public long read(FullLog full) throws IOException {
    return readAll(full.log, full.buffer);
  }

  /**
   * Checks a batch size before anything runs.
   *
   * @throws IllegalArgumentException naming the value and the allowed range
   */
  public static void checkBatchBytes(long batchBytes) {
    if (batchBytes <= BATCH_OVERHEAD || batchBytes > MAX_BATCH_BYTES) {
      throw new IllegalArgumentException(
          "--batch-bytes " + batchBytes + " must be in (" + BATCH_OVERHEAD + ", 1 GiB]");
    }
  }

  /**
   * The value length of a one-record batch (null key, no headers) of exactly {@code batchBytes}.
   *
   * @throws IllegalArgumentException for one of the few sizes no such batch has (where the record's
   *     length varint grows by a byte, e.g. 126)
   */
  static long valueLength(long batchBytes) {
    long value = batchBytes - BATCH_OVERHEAD;
    while (value > 0 && PartitionLog.batchSizeFor(null, List.of(), value) > batchBytes) {
      value--;
    }
    if (PartitionLog.batchSizeFor(null, List.of(), value) != batchBytes) {
      throw new IllegalArgumentException(
          "--batch-bytes " + batchBytes + ": no one-record batch has exactly this size");
    }
    return value;
  }

  /** How many batches an invocation writes. */
  public static long batches(long batchBytes, long totalBytes) {
    return Math.max(1, totalBytes / batchBytes);
  }

  long appendAll(PartitionLog log) throws IOException {
    long batches = batches(batchBytes, totalBytes);
    for (long i = 0; i < batches; i++) {
      log.appendRecords(batch, 0);
    }
    log.flush();
    return log.sizeInBytes();
  }

  static long readAll(PartitionLog log, ByteBuffer buffer) throws IOException {
    long offset = 0;
    long bytes = 0;
    while (offset < log.logEndOffset()) {
      FetchResult r = log.read(offset, 1 << 20);
      for (LogSlice s : r.slices()) {
        bytes += drain(s, buffer);
      }
      offset = r.nextOffset();
    }
    return bytes;
  }

  StorageSettings settings() {
    // Segments hold at least 1 GiB so that a run measures appends, not segment rolls.
    long segmentBytes = Math.max(1L << 30, batchBytes);
    return new StorageSettings(
        segmentBytes, 4096, batchBytes, flushPolicy(flush), -1, Duration.ZERO);
  }

  Path freshDirectory() throws IOException {
    return dir.isEmpty()
        ? Files.createTempDirectory("sluice-bench")
        : Files.createTempDirectory(Files.createDirectories(Path.of(dir)), "sluice-bench");
  }

  /**
   * Reads a flush policy as the config file spells it ({@code every-batch}) or by its name.
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static FlushPolicy flushPolicy(String value) {
    for (FlushPolicy p : FlushPolicy.values()) {
      if (p.configValue().equalsIgnoreCase(value) || p.name().equalsIgnoreCase(value)) {
        return p;
      }
    }
    throw new IllegalArgumentException("--flush " + value + ": expected every-batch or os");
  }

  private static long drain(LogSlice slice, ByteBuffer buf) throws IOException {
    try (FileChannel ch = FileChannel.open(slice.segmentFile(), StandardOpenOption.READ)) {
      long pos = slice.position();
      long end = pos + slice.length();
      while (pos < end) {
        buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
        int n = ch.read(buf, pos);
        if (n < 0) {
          break;
        }
        pos += n;
      }
      return pos - slice.position();
    }
  }
}
