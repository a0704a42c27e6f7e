package dev.sluice.log.checkpoint;

import dev.sluice.log.epoch.EpochEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code leader-epochs} file of a partition directory: its leader-epoch history, as text an
 * operator can read with {@code cat}. Every line ends with {@code \n}:
 *
 * <pre>
 * 0                      format version
 * 3                      number of entries that follow
 * 0 0                    epoch, space, start offset: epoch 0 wrote offsets from 0
 * 2 150                  epoch 2 from 150 (epoch 1 never wrote a batch here)
 * 5 420
 * </pre>
 *
 * <p>Epochs are strictly increasing, start offsets non-decreasing, both non-negative. The count
 * line and the final newline make a file cut short detectable: a cut at a line end leaves too few
 * entries, a cut inside a line leaves it unterminated.
 *
 * <p>Written like {@link OffsetCheckpoint} (temp file, force, rename, force the directory), so a
 * crash leaves the old or the new history, never a torn one. A file that does not parse is reported
 * at WARN with the file, the line number and the reason, and treated as missing: the caller
 * rebuilds the history from the log instead of failing the partition.
 *
 * <p>Thread-safety: callers serialise writes; reads are only done at open.
 */
public final class LeaderEpochCheckpoint {
  private static final Logger log = LoggerFactory.getLogger(LeaderEpochCheckpoint.class);
  private static final String VERSION = "0";

  /**
   * A history this large would need hundreds of thousands of elections; a bigger file is garbage,
   * and is not read into memory.
   */
  static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

  private final Path file;

  public LeaderEpochCheckpoint(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** The stored history, or empty if the file is missing or does not parse (WARN). */
  public Optional<List<EpochEntry>> read() throws IOException {
    byte[] bytes;
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        log.warn(
            "{}: ignoring leader-epoch checkpoint: size {} bytes exceeds the limit {}",
            file,
            size,
            MAX_FILE_BYTES);
        return Optional.empty();
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(new String(bytes, StandardCharsets.UTF_8)));
    } catch (MalformedLine e) {
      log.warn(
          "{} line {}: ignoring leader-epoch checkpoint: {}: '{}'",
          file,
          e.lineNumber,
          e.getMessage(),
          e.line);
      return Optional.empty();
    }
  }

  /** Replaces the stored history durably. */
  public void write(List<EpochEntry> entries) throws IOException {
    StringBuilder text = new StringBuilder();
    text.append(VERSION).append('\n').append(entries.size()).append('\n');
    for (EpochEntry e : entries) {
      text.append(e.epoch()).append(' ').append(e.startOffset()).append('\n');
    }
    AtomicFile.replace(file, text.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static List<EpochEntry> parse(String text) throws MalformedLine {
    if (text.isEmpty()) {
      throw new MalformedLine(1, "", "file is empty");
    }
    String[] lines = text.split("\n", -1);
    // A terminated file splits into its lines plus one empty string after the last newline.
    int lineCount = lines.length - 1;
    if (!lines[lineCount].isEmpty()) {
      throw new MalformedLine(lineCount + 1, lines[lineCount], "last line has no newline");
    }
    if (lineCount < 1 || !VERSION.equals(lines[0])) {
      throw new MalformedLine(1, lines[0], "version is not " + VERSION);
    }
    if (lineCount < 2) {
      throw new MalformedLine(2, "", "entry count missing");
    }
    int count;
    try {
      count = Integer.parseInt(lines[1]);
    } catch (NumberFormatException e) {
      throw new MalformedLine(2, lines[1], "entry count is not a number");
    }
    if (count < 0) {
      throw new MalformedLine(2, lines[1], "entry count is negative");
    }
    if (lineCount != 2 + count) {
      throw new MalformedLine(
          lineCount,
          lines[lineCount - 1],
          "file has " + (lineCount - 2) + " entry lines where the count line says " + count);
    }
    List<EpochEntry> entries = new ArrayList<>(count);
    for (int i = 2; i < lineCount; i++) {
      EpochEntry entry = parseEntry(i + 1, lines[i]);
      if (!entries.isEmpty()) {
        EpochEntry previous = entries.get(entries.size() - 1);
        if (entry.epoch() <= previous.epoch()) {
          throw new MalformedLine(
              i + 1, lines[i], "epoch is not above the previous epoch " + previous.epoch());
        }
        if (entry.startOffset() < previous.startOffset()) {
          throw new MalformedLine(
              i + 1,
              lines[i],
              "start offset is below the previous entry's start offset " + previous.startOffset());
        }
      }
      entries.add(entry);
    }
    return entries;
  }

  private static EpochEntry parseEntry(int lineNumber, String line) throws MalformedLine {
    String[] fields = line.split(" ", -1);
    if (fields.length != 2) {
      throw new MalformedLine(lineNumber, line, "expected 'epoch startOffset'");
    }
    try {
      int epoch = Integer.parseInt(fields[0]);
      long startOffset = Long.parseLong(fields[1]);
      return new EpochEntry(epoch, startOffset);
    } catch (NumberFormatException e) {
      throw new MalformedLine(lineNumber, line, "expected 'epoch startOffset' as two integers");
    } catch (IllegalArgumentException e) {
      throw new MalformedLine(lineNumber, line, e.getMessage());
    }
  }

  /** A line of the file that breaks the format; never leaves this class. */
  private static final class MalformedLine extends Exception {
    /** Enough of a line to recognise it; garbage can be one line of megabytes. */
    private static final int SHOWN_CHARS = 80;

    final int lineNumber;
    final String line;

    MalformedLine(int lineNumber, String line, String problem) {
      super(problem, null, false, false);
      this.lineNumber = lineNumber;
      this.line = printable(line);
    }

    /** The start of the line with anything but printable ASCII as {@code ?}, for a log line. */
    private static String printable(String line) {
      StringBuilder shown = new StringBuilder();
      for (int i = 0; i < Math.min(line.length(), SHOWN_CHARS); i++) {
        char c = line.charAt(i);
        shown.append(c >= ' ' && c <= '~' ? c : '?');
      }
      return line.length() > SHOWN_CHARS ? shown + "..." : shown.toString();
    }
  }
}
