package dev.sluice.log;

import dev.sluice.format.BatchLayout;
import dev.sluice.log.checkpoint.OffsetCheckpoint;
import dev.sluice.log.segment.SegmentFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The batch format of the logs on disk, and the refusal of logs this version cannot read.
 *
 * <p>Logs are stored in Kafka's RecordBatch v2 (magic {@value #CURRENT}). Earlier versions of
 * Sluice stored their own format 1 (magic 1), which differs in the header size and the whole record
 * encoding; there is no in-place conversion (docs/upgrading.md says why), so such a directory is
 * refused, with nothing on disk changed.
 *
 * <p>A partition directory records its format in the marker file {@value #MARKER_FILE} (the text
 * {@code 2}), written and forced with the directory when the log is first opened. A directory
 * without the marker is judged by the magic byte of the first batch of its oldest segment: none (no
 * segment, or too short to tell) or magic 2 gets the marker; any other magic is refused. A marker
 * with another value is refused.
 *
 * <p>Stateless; thread-safe as long as one directory is not opened by two logs at once.
 */
public final class LogFormat {
  /** The marker file in a partition directory. */
  public static final String MARKER_FILE = "log-format";

  /** The format this version writes and reads: the batch magic. */
  public static final int CURRENT = BatchLayout.MAGIC;

  private LogFormat() {}

  /**
   * Checks the partition directory {@code dir} and writes the marker if it has none and its data is
   * readable.
   *
   * @throws UnsupportedLogFormatException if the directory holds another format; nothing is changed
   */
  public static void require(Path dir) throws IOException {
    Optional<Problem> problem = problem(dir);
    if (problem.isPresent()) {
      throw new UnsupportedLogFormatException(
          problem.get().file()
              + " "
              + problem.get().detail()
              + ": this version reads only Kafka's RecordBatch v2 (magic "
              + CURRENT
              + "). Nothing was changed; docs/upgrading.md explains why there is no in-place"
              + " conversion.");
    }
    if (!Files.exists(dir.resolve(MARKER_FILE))) {
      Files.writeString(dir.resolve(MARKER_FILE), CURRENT + "\n", StandardCharsets.US_ASCII);
      try (FileChannel marker =
          FileChannel.open(dir.resolve(MARKER_FILE), StandardOpenOption.WRITE)) {
        marker.force(true);
      }
      OffsetCheckpoint.forceDirectory(dir);
    }
  }

  /**
   * The partition directories directly under {@code dataDir} (those holding segment files or a
   * marker) that this version cannot read, one line each: the file, the position and the magic or
   * marker found. Reads only; nothing is written. Empty if every one is readable.
   */
  public static List<String> check(Path dataDir) throws IOException {
    return check(dataDir, dir -> true);
  }

  /**
   * As {@link #check(Path)}, for the subdirectories {@code partitionDirs} accepts only (a node
   * leaves out directories it is about to delete anyway).
   */
  public static List<String> check(Path dataDir, Predicate<Path> partitionDirs) throws IOException {
    List<String> problems = new ArrayList<>();
    if (!Files.isDirectory(dataDir)) {
      return problems;
    }
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> entries =
        Files.newDirectoryStream(dataDir, d -> Files.isDirectory(d) && partitionDirs.test(d))) {
      entries.forEach(dirs::add);
    }
    dirs.sort(null);
    for (Path dir : dirs) {
      problem(dir).ifPresent(p -> problems.add(dataDir.relativize(p.file()) + " " + p.detail()));
    }
    return problems;
  }

  /**
   * Checks every partition directory under {@code dataDir} ({@link #check}) before any log is
   * opened, so that an upgraded node refuses once, naming all of them, instead of failing on the
   * first replica it opens.
   *
   * @param who the node, for the message (e.g. "node 2")
   * @param partitionDirs which subdirectories to check ({@link #check(Path, Predicate)})
   * @throws UnsupportedLogFormatException listing every unreadable directory; nothing is changed
   */
  public static void requireAll(Path dataDir, String who, Predicate<Path> partitionDirs)
      throws IOException {
    List<String> problems = check(dataDir, partitionDirs);
    if (problems.isEmpty()) {
      return;
    }
    boolean allFormatOne = problems.stream().allMatch(p -> p.endsWith(": magic 1"));
    StringBuilder msg =
        new StringBuilder()
            .append(who)
            .append(" cannot start: ")
            .append(problems.size())
            .append(problems.size() == 1 ? " partition log under " : " partition logs under ")
            .append(dataDir)
            .append(problems.size() == 1 ? " is " : " are ")
            .append(
                allFormatOne
                    ? "in Sluice's format 1 (batch magic 1)"
                    : "not in Kafka's RecordBatch v2")
            .append("; this version reads only Kafka's RecordBatch v2 (magic ")
            .append(CURRENT)
            .append("):\n");
    for (String p : problems) {
      msg.append("  ").append(p).append('\n');
    }
    msg.append(
        "Nothing was changed. Stop every node, move each node's data directory (including the"
            + " controller journal) aside and start the cluster empty; docs/upgrading.md explains"
            + " why there is no in-place conversion.");
    throw new UnsupportedLogFormatException(msg.toString());
  }

  /** The file that makes a directory unreadable, and what it holds ("position 0: magic 1"). */
  private record Problem(Path file, String detail) {}

  /** What makes {@code dir} unreadable; empty if it is readable or holds no log. */
  private static Optional<Problem> problem(Path dir) throws IOException {
    Path marker = dir.resolve(MARKER_FILE);
    if (Files.exists(marker)) {
      String value = Files.readString(marker, StandardCharsets.US_ASCII).trim();
      return value.equals(Integer.toString(CURRENT))
          ? Optional.empty()
          : Optional.of(new Problem(marker, "says format " + value));
    }
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    for (Path segment : SegmentFiles.list(dir)) {
      try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
        if (ch.size() == 0) {
          continue; // an empty segment says nothing; a later one may
        }
        ByteBuffer magic = ByteBuffer.allocate(BatchLayout.MAGIC_LENGTH);
        if (ch.read(magic, BatchLayout.MAGIC_OFFSET) < BatchLayout.MAGIC_LENGTH) {
          return Optional.empty(); // a torn first batch: recovery cuts it
        }
        byte found = magic.get(0);
        return found == CURRENT
            ? Optional.empty()
            : Optional.of(new Problem(segment, "position 0: magic " + found));
      }
    }
    return Optional.empty();
  }
}
