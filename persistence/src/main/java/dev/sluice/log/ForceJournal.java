package dev.sluice.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Fault injection for power-loss tests of whole node processes: a {@link Syncer} that forces for
 * real, optionally after a delay (a slow disk), and then appends to a journal file in the log's
 * directory how far the file was forced. A process killed with {@code kill -9} keeps everything it
 * wrote (the page cache outlives it), which hides a missing fsync; a test that kills every node and
 * then cuts each segment file back to its last journalled size ({@link #forcedSizes}) sees what a
 * power loss could have left, so an acknowledgement given before its fsync shows up as a lost
 * record.
 *
 * <p>Off unless the JVM runs with {@code -D}{@value #PROPERTY}{@code =on} (nothing an operator
 * sets); {@value #DELAY_PROPERTY}{@code =N} (milliseconds) delays each force. {@link #forLog}
 * decides once per log.
 *
 * <p>What an entry means: the file's length read just before the force started, so every byte below
 * it had been written before the force and is covered by it. Entries are appended after the force
 * returned, under one lock per journal so that entries of one file are in force order; the last
 * entry of a file is therefore how much of it was durable (a truncation's own force writes the
 * shorter length). A file without an entry was never forced: all of it could be lost. The journal's
 * own appends are not forced: a {@code kill -9} keeps them, and the simulated power loss is applied
 * by the test, not by the kernel.
 *
 * <p>Thread-safe: forces of one log serialise on the journal's lock (acceptable for a test: it only
 * slows down concurrent forces of two segments of one log, which happen at rolls).
 */
public final class ForceJournal implements Syncer {

  /** The JVM system property that turns journalling on: {@code on}. */
  public static final String PROPERTY = "sluice.fault-injection.force-journal";

  /** The JVM system property that delays every force by this many milliseconds. */
  public static final String DELAY_PROPERTY = "sluice.fault-injection.force-delay-ms";

  /** The journal's name inside the log directory. */
  public static final String FILE_NAME = "force-journal.tsv";

  private final Path journal;
  private final Duration delay;

  ForceJournal(Path logDir, Duration delay) {
    this.journal = logDir.resolve(FILE_NAME);
    this.delay = delay;
  }

  /**
   * The syncer for the log in {@code logDir}: a journal when {@value #PROPERTY} is {@code on},
   * plain fdatasync otherwise.
   */
  public static Syncer forLog(Path logDir) {
    if (!"on".equals(System.getProperty(PROPERTY))) {
      return Syncer.FDATASYNC;
    }
    long delayMs = Long.getLong(DELAY_PROPERTY, 0L);
    if (delayMs < 0) {
      throw new IllegalArgumentException(
          DELAY_PROPERTY + " must be 0 or more milliseconds, got " + delayMs);
    }
    return new ForceJournal(logDir, Duration.ofMillis(delayMs));
  }

  @Override
  public synchronized void force(FileChannel channel, Path file, long size) throws IOException {
    if (!delay.isZero()) {
      try {
        Thread.sleep(delay.toMillis()); // the injected fault: a disk this slow to force
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted during an injected force delay", e);
      }
    }
    long length = channel.size();
    channel.force(false);
    String line = file.getFileName() + "\t" + length + "\n";
    try (FileChannel out =
        FileChannel.open(
            journal,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
      ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        out.write(bytes);
      }
    }
  }

  /**
   * The last journalled forced size of each file of the log in {@code logDir}, by file name; empty
   * when the log never forced anything (or journalling was off). A torn last line (the process died
   * while appending it) is ignored: the line is written before {@link #force} returns, so nothing
   * that force covered had been counted as durable yet.
   */
  public static Map<String, Long> forcedSizes(Path logDir) throws IOException {
    String text;
    try {
      text = Files.readString(logDir.resolve(FILE_NAME), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Map.of();
    }
    // Only complete lines: a torn "name\t1234" of "name\t123456" would claim too little.
    int complete = text.lastIndexOf('\n') + 1;
    Map<String, Long> sizes = new HashMap<>();
    for (String line : text.substring(0, complete).split("\n")) {
      parse(line).ifPresent(e -> sizes.put(e.getKey(), e.getValue()));
    }
    return sizes;
  }

  private static Optional<Map.Entry<String, Long>> parse(String line) {
    int tab = line.indexOf('\t');
    if (tab <= 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          Map.entry(line.substring(0, tab), Long.parseLong(line.substring(tab + 1))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
