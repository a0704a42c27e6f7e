package dev.sluice.log.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file holding one offset (the log start offset), as two text lines: format version {@code 0},
 * then the offset. (The high watermark, which moves far more often, has its own in-place record,
 * {@link HighWatermarkFile}, which still reads this format.) Text so an operator can read it with
 * {@code cat}.
 *
 * <p>Written temp-then-rename: the new value goes to {@code <name>.tmp}, is forced to disk, is
 * renamed over the old file, and the directory is forced, so after a crash the file holds either
 * the old or the new value, never a torn one. A file that does not parse is reported and treated as
 * missing (the caller falls back to a safe value), rather than failing the partition.
 *
 * <p>Thread-safety: callers serialise writes; reads are only done at open.
 */
public final class OffsetCheckpoint {
  private static final Logger log = LoggerFactory.getLogger(OffsetCheckpoint.class);
  private static final String VERSION = "0";
  public static final String TEMP_SUFFIX = ".tmp";

  private final Path file;

  public OffsetCheckpoint(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** The stored offset, or empty if the file is missing or malformed. */
  public OptionalLong read() throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    }
    if (lines.size() < 2 || !VERSION.equals(lines.get(0).trim())) {
      log.warn("{}: ignoring malformed checkpoint {}", file, lines);
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(lines.get(1).trim()));
    } catch (NumberFormatException e) {
      log.warn("{}: ignoring malformed checkpoint offset '{}'", file, lines.get(1));
      return OptionalLong.empty();
    }
  }

  /** Replaces the stored offset durably (see {@link AtomicFile}). */
  public void write(long offset) throws IOException {
    AtomicFile.replace(file, (VERSION + "\n" + offset + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Forces a directory so that file creations, renames and deletions in it survive a power loss.
   * Not every platform can open a directory; there the rename is as durable as the OS makes it.
   */
  public static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      log.debug("cannot force directory {}: {}", dir, e.toString());
    }
  }
}
