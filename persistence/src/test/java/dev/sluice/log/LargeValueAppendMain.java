package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Header;
import dev.sluice.format.Record;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Run in a JVM with a small heap by {@link LargeValueAppendInSmallHeapTest}: appends a value far
 * larger than the heap through {@link PartitionLog#appendValueFile}, checks it, and recovers the
 * log after a simulated crash (a full CRC scan of the value). Prints {@code OK ...} on success.
 *
 * <p>Arguments: a directory and the value size in bytes.
 */
public final class LargeValueAppendMain {
  private static final int PATTERN_BYTES = 1 << 20;

  private LargeValueAppendMain() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    long valueBytes = Long.parseLong(args[1]);
    Path valueFile = dir.resolve("value.bin");
    writePattern(valueFile, valueBytes);
    StorageSettings settings =
        new StorageSettings(
            Integer.MAX_VALUE, 4096, Integer.MAX_VALUE, FlushPolicy.OS, -1, Duration.ZERO);
    Path logDir = dir.resolve("p");
    List<Header> headers = List.of(new Header("name", "big".getBytes(StandardCharsets.UTF_8)));
    try (PartitionLog log = PartitionLog.open(logDir, settings, Clock.systemUTC())) {
      log.appendRecords(List.of(Record.of(null, new byte[] {1}, TIMESTAMP)), 1);
      AppendInfo info = log.appendValueFile(new byte[] {7}, headers, valueFile, TIMESTAMP, 1);
      check(info.baseOffset() == 1 && info.lastOffset() == 1, "offsets " + info);
      check(
          info.sizeInBytes() == PartitionLog.batchSizeFor(new byte[] {7}, headers, valueBytes),
          "size " + info);
      log.appendRecords(List.of(Record.of(null, new byte[] {2}, TIMESTAMP)), 1);
      verify(log, valueBytes);
    }
    Files.delete(valueFile);
    Files.delete(logDir.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE)); // as after a crash
    try (PartitionLog log = PartitionLog.open(logDir, settings, Clock.systemUTC())) {
      verify(log, valueBytes);
    }
    System.out.println(
        "OK offset=1 length=" + valueBytes + " maxHeap=" + Runtime.getRuntime().maxMemory());
  }

  private static void verify(PartitionLog log, long valueBytes) throws IOException {
    check(log.logEndOffset() == 3, "log end offset " + log.logEndOffset());
    RecordLocation r = log.locate(1).orElseThrow();
    check(r.valueLength() == valueBytes, "value length " + r.valueLength());
    check(r.headers().get(0).key().equals("name"), "headers " + r.headers());
    try (FileChannel ch = FileChannel.open(r.valueFile(), StandardOpenOption.READ)) {
      for (long at : new long[] {0, PATTERN_BYTES - 1, valueBytes / 2 + 12345, valueBytes - 1}) {
        ByteBuffer one = ByteBuffer.allocate(1);
        ch.read(one, r.valuePosition() + at);
        check(one.get(0) == patternByte(at), "value byte at " + at);
      }
    }
    check(log.locate(2).orElseThrow().readValue()[0] == 2, "record after the large one");
  }

  private static byte patternByte(long position) {
    int i = (int) (position % PATTERN_BYTES);
    return (byte) (i * 131 + (i >>> 8));
  }

  private static void writePattern(Path file, long size) throws IOException {
    ByteBuffer pattern = ByteBuffer.allocateDirect(PATTERN_BYTES);
    for (int i = 0; i < PATTERN_BYTES; i++) {
      pattern.put(patternByte(i));
    }
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long written = 0;
      while (written < size) {
        pattern.clear().limit((int) Math.min(PATTERN_BYTES, size - written));
        while (pattern.hasRemaining()) {
          written += ch.write(pattern);
        }
      }
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError("check failed: " + what);
    }
  }
}
