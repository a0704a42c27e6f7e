package dev.sluice.log.bench;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.FetchResult;
import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.record.Record;
import dev.sluice.log.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Measures append and read throughput of one {@link PartitionLog} for a batch size; the CLI exposes
 * it as {@code bin/sluice bench append}. Prints one line per measurement:
 *
 * <pre>
 * append batch-bytes=1048576 total-bytes=268435456 flush=os batches=256 seconds=0.412 mb-per-s=621.4
 * </pre>
 *
 * <p>Arguments: {@code --dir} (a fresh directory under it is used and deleted afterwards; default a
 * temp directory), {@code --batch-bytes} (default 1048576), {@code --total-bytes} (default
 * 268435456), {@code --flush every-batch|os} (default os). Reads go through {@link
 * PartitionLog#read} and then pull the slices' bytes into a direct buffer, as a server would before
 * sending; the page cache is warm, so read figures are an upper bound.
 */
public final class LogBenchmark {
  private LogBenchmark() {}

  public static void main(String[] args) throws IOException {
    Path base = null;
    long batchBytes = 1 << 20;
    long totalBytes = 256L << 20;
    FlushPolicy flush = FlushPolicy.OS;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--dir" -> base = Path.of(require(args[i], value));
        case "--batch-bytes" -> batchBytes = parseSize(require(args[i], value));
        case "--total-bytes" -> totalBytes = parseSize(require(args[i], value));
        case "--flush" -> flush = parseFlush(require(args[i], value));
        case "--help", "-h" -> {
          System.out.println(
              "usage: LogBenchmark [--dir DIR] [--batch-bytes N] [--total-bytes N] [--flush every-batch|os]");
          return;
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
      i++;
    }
    Path dir =
        base == null
            ? Files.createTempDirectory("sluice-bench")
            : Files.createTempDirectory(Files.createDirectories(base), "sluice-bench");
    try {
      run(dir, batchBytes, totalBytes, flush);
    } finally {
      deleteRecursively(dir);
    }
  }

  private static void run(Path dir, long batchBytes, long totalBytes, FlushPolicy flush)
      throws IOException {
    int overhead = RecordBatch.HEADER_BYTES + RecordBatch.RECORD_OVERHEAD;
    if (batchBytes <= overhead || batchBytes > (1 << 30)) {
      throw new IllegalArgumentException(
          "--batch-bytes " + batchBytes + " must be in (" + overhead + ", 1 GiB]");
    }
    long segmentBytes = Math.max(1L << 30, batchBytes);
    StorageSettings settings =
        new StorageSettings(segmentBytes, 4096, batchBytes, flush, -1, Duration.ZERO);
    byte[] value = new byte[(int) (batchBytes - overhead)];
    new Random(42).nextBytes(value);
    List<Record> records = List.of(Record.of(null, value));
    long batches = Math.max(1, totalBytes / batchBytes);
    String common =
        String.format(
            Locale.ROOT,
            "batch-bytes=%d total-bytes=%d flush=%s batches=%d",
            batchBytes,
            batches * batchBytes,
            flush.configValue(),
            batches);
    try (PartitionLog log = PartitionLog.open(dir, settings, Clock.systemUTC())) {
      long start = System.nanoTime();
      for (long i = 0; i < batches; i++) {
        log.appendRecords(records, 0);
      }
      log.flush();
      report("append", common, log.sizeInBytes(), System.nanoTime() - start);

      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      start = System.nanoTime();
      long offset = 0;
      long bytes = 0;
      while (offset < log.logEndOffset()) {
        FetchResult r = log.read(offset, 1 << 20);
        for (LogSlice s : r.slices()) {
          bytes += drain(s, buf);
        }
        offset = r.nextOffset();
      }
      report("read", common, bytes, System.nanoTime() - start);
    }
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

  private static void report(String what, String common, long bytes, long nanos) {
    double seconds = nanos / 1e9;
    System.out.printf(
        Locale.ROOT,
        "%s %s seconds=%.3f mb-per-s=%.1f%n",
        what,
        common,
        seconds,
        bytes / (1024.0 * 1024.0) / seconds);
  }

  private static String require(String flag, String value) {
    if (value == null) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return value;
  }

  /** Parses a byte count with an optional k/m/g (binary) suffix. */
  static long parseSize(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    long unit = 1;
    if (v.endsWith("k") || v.endsWith("kib")) {
      unit = 1L << 10;
    } else if (v.endsWith("m") || v.endsWith("mib")) {
      unit = 1L << 20;
    } else if (v.endsWith("g") || v.endsWith("gib")) {
      unit = 1L << 30;
    }
    return Long.parseLong(v.replaceAll("[a-z]+$", "")) * unit;
  }

  private static FlushPolicy parseFlush(String s) {
    for (FlushPolicy p : FlushPolicy.values()) {
      if (p.configValue().equalsIgnoreCase(s) || p.name().equalsIgnoreCase(s)) {
        return p;
      }
    }
    throw new IllegalArgumentException("--flush " + s + ": expected every-batch or os");
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
