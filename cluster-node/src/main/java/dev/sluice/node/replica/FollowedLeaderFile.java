package dev.sluice.node.replica;

import dev.sluice.log.checkpoint.AtomicFile;
import dev.sluice.log.checkpoint.OffsetCheckpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@value #FILE} file of a partition directory: the leader its replica last followed ({@link
 * FollowedLeader}), so that a restarted node can start following before the cluster's first
 * metadata. Present only while the replica follows: the replica manager writes it when the
 * controller assigns a leader elsewhere and removes it when this node leads, the partition has no
 * leader or the replica is no longer assigned here.
 *
 * <p>Format, text ({@code cat}-readable), UTF-8, one field per line:
 *
 * <pre>
 * 1                       format version
 * leader=3
 * leader-epoch=7
 * host=10.0.0.3           the leader's replication host
 * port=7100               the leader's replication port
 * topic-id=6f1c...        the topic incarnation of the replica
 * crc32c=0a1b2c3d         CRC-32C of every byte above this line, 8 hex digits
 * </pre>
 *
 * <p>Durability: written with {@link AtomicFile#replace} (a crash leaves the old or the new file,
 * never a torn mix); removal forces the directory. The file is advice, never authority: a missing,
 * corrupt, truncated or unknown-version file reads as absent (the last three with a WARN naming the
 * file and the problem) and the replica waits for the metadata, as before the file existed; a file
 * that names a deposed leader only costs a refused or redirected connection (the leader checks the
 * epoch and the topic id, the epoch handshake truncates what a deposed leader sent).
 *
 * <p>Thread-safety: stateless; the replica manager is the one caller, and it serialises writes to
 * one directory.
 */
public final class FollowedLeaderFile {
  private static final Logger log = LoggerFactory.getLogger(FollowedLeaderFile.class);

  /** The file's name inside the partition directory. */
  public static final String FILE = "followed-leader";

  /** The only format version written and read. */
  public static final int VERSION = 1;

  /** A larger file is no file of this format; it is not read whole. */
  static final int MAX_BYTES = 4096;

  private static final String[] KEYS = {"leader", "leader-epoch", "host", "port", "topic-id"};
  private static final String CRC_KEY = "crc32c";

  private FollowedLeaderFile() {}

  /** The file of {@code partitionDir}. */
  public static Path of(Path partitionDir) {
    return partitionDir.resolve(FILE);
  }

  /**
   * What {@code partitionDir} records as followed; empty when the file is absent, and, with a WARN
   * naming the file, when it is corrupt, truncated or of another version.
   *
   * @throws IOException only when an existing file cannot be read
   */
  public static Optional<FollowedLeader> read(Path partitionDir) throws IOException {
    Path file = of(partitionDir);
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_BYTES) {
        warn(file, Files.size(file), "larger than " + MAX_BYTES + " bytes");
        return Optional.empty();
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(bytes));
    } catch (IllegalArgumentException e) {
      warn(file, bytes.length, e.getMessage());
      return Optional.empty();
    }
  }

  private static void warn(Path file, long size, String problem) {
    log.warn(
        "{}: ignoring the followed-leader record ({} bytes): {}; the replica waits for the"
            + " metadata",
        file,
        size,
        problem);
  }

  /**
   * Records, atomically and durably, that the replica of {@code partitionDir} follows {@code f}.
   */
  public static void write(Path partitionDir, FollowedLeader followed) throws IOException {
    AtomicFile.replace(of(partitionDir), encode(followed));
  }

  /**
   * Removes the record, durably (the directory is forced), so that a restart does not follow a
   * leader this replica stopped following.
   *
   * @return true if there was a file
   */
  public static boolean remove(Path partitionDir) throws IOException {
    boolean existed = Files.deleteIfExists(of(partitionDir));
    if (existed) {
      OffsetCheckpoint.forceDirectory(partitionDir.toAbsolutePath());
    }
    return existed;
  }

  /** The file's bytes for {@code f}. */
  static byte[] encode(FollowedLeader f) {
    String[] values = {
      Integer.toString(f.leader()),
      Integer.toString(f.leaderEpoch()),
      f.host(),
      Integer.toString(f.port()),
      f.topicId()
    };
    StringBuilder body = new StringBuilder().append(VERSION).append('\n');
    for (int i = 0; i < KEYS.length; i++) {
      body.append(KEYS[i]).append('=').append(values[i]).append('\n');
    }
    byte[] covered = body.toString().getBytes(StandardCharsets.UTF_8);
    String crcLine = CRC_KEY + "=" + crcOf(covered, covered.length) + "\n";
    byte[] crc = crcLine.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[covered.length + crc.length];
    System.arraycopy(covered, 0, out, 0, covered.length);
    System.arraycopy(crc, 0, out, covered.length, crc.length);
    return out;
  }

  /**
   * Parses the file's bytes.
   *
   * @throws IllegalArgumentException naming what is wrong, the value and what was expected
   */
  static FollowedLeader parse(byte[] bytes) {
    int lastLineStart = lastLineStart(bytes);
    String text = new String(bytes, StandardCharsets.UTF_8);
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    if (lines.isEmpty() || lines.get(0).isEmpty()) {
      throw new IllegalArgumentException("empty, expected format version " + VERSION);
    }
    if (!lines.get(0).equals(Integer.toString(VERSION))) {
      throw new IllegalArgumentException(
          "format version '" + abbreviate(lines.get(0)) + "', only " + VERSION + " is known");
    }
    if (bytes[bytes.length - 1] != '\n') {
      throw new IllegalArgumentException("truncated: the last line has no line end");
    }
    lines.remove(lines.size() - 1); // after the final line end
    int expectedLines = 1 + KEYS.length + 1;
    if (lines.size() != expectedLines) {
      throw new IllegalArgumentException(
          lines.size() + " lines, expected " + expectedLines + " (truncated or not this format)");
    }
    String crcLine = lines.get(expectedLines - 1);
    String stored = value(crcLine, CRC_KEY);
    String computed = crcOf(bytes, lastLineStart);
    if (!stored.equals(computed)) {
      throw new IllegalArgumentException(
          "CRC-32C " + abbreviate(stored) + " does not match the content's " + computed);
    }
    String[] values = new String[KEYS.length];
    for (int i = 0; i < KEYS.length; i++) {
      values[i] = value(lines.get(1 + i), KEYS[i]);
    }
    return new FollowedLeader(
        number(values[0], KEYS[0]),
        number(values[1], KEYS[1]),
        values[2],
        number(values[3], KEYS[3]),
        values[4]);
  }

  private static int lastLineStart(byte[] bytes) {
    if (bytes.length == 0) {
      throw new IllegalArgumentException("empty, expected format version " + VERSION);
    }
    int end = bytes[bytes.length - 1] == '\n' ? bytes.length - 1 : bytes.length;
    for (int i = end - 1; i >= 0; i--) {
      if (bytes[i] == '\n') {
        return i + 1;
      }
    }
    return 0;
  }

  private static String value(String line, String key) {
    String prefix = key + "=";
    if (!line.startsWith(prefix)) {
      throw new IllegalArgumentException(
          "line '" + abbreviate(line) + "' where '" + prefix + "...' was expected");
    }
    return line.substring(prefix.length());
  }

  private static int number(String value, String key) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " '" + abbreviate(value) + "' is not a number");
    }
  }

  private static String crcOf(byte[] bytes, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, length);
    return String.format("%08x", crc.getValue());
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
