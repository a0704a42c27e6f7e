package dev.sluice.log.staging;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code staging/} directory of a partition: where an incoming value or an oversized batch is
 * written in chunks before it is appended in one step, so that a partial batch is never in the log
 * and never whole in memory.
 *
 * <p>Two kinds of files:
 *
 * <ul>
 *   <li>temporary ({@code <purpose>-<n>.tmp}, from {@link #newTempFile}): a produce request's
 *       value, which the HTTP layer streams into it and then appends with {@code
 *       PartitionLog.appendValueFile}. Its writer deletes it after the append or when the upload
 *       fails; any left over from a crash is deleted when the area is opened;
 *   <li>resumable ({@code batch-<baseOffset>-<totalLength>-<crc>.part}): an oversized batch
 *       received from the leader. Its key is in its name and its durable length is its size, so a
 *       restarted transfer resumes where the last one stopped. At open only the one whose base
 *       offset equals the log end offset is kept (any other can never be appended), and starting a
 *       different resumable batch deletes the old one: one oversized batch is in flight per
 *       partition.
 * </ul>
 *
 * <p>Thread-safety: {@link #newTempFile} may be called from any thread (a node serves many uploads
 * to one partition at once): names come from an atomic counter and the file is created exclusively,
 * so two callers never share one. Resumable files are managed by the partition's single replication
 * writer.
 */
public final class StagingArea {
  private static final Logger log = LoggerFactory.getLogger(StagingArea.class);
  static final String TEMP_SUFFIX = ".tmp";
  static final String RESUMABLE_PREFIX = "batch-";
  static final String RESUMABLE_SUFFIX = ".part";

  private final Path dir;
  private final AtomicLong counter = new AtomicLong();

  private StagingArea(Path dir) {
    this.dir = dir;
  }

  /** Opens (creating) the area and removes leftovers that can no longer be used. */
  public static StagingArea open(Path dir, long logEndOffset) throws IOException {
    Files.createDirectories(dir);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        ResumeKey key = ResumeKey.parse(name);
        if (key != null && key.baseOffset() == logEndOffset) {
          log.info("{}: keeping staged batch for resumption ({} bytes)", f, Files.size(f));
          continue;
        }
        log.info("{}: deleting leftover staged file", f);
        Files.deleteIfExists(f);
      }
    }
    return new StagingArea(dir);
  }

  public Path dir() {
    return dir;
  }

  /**
   * Creates a new empty temporary file in the area and returns its path; the caller writes it and
   * deletes it. {@code purpose} becomes part of its name, with anything but letters, digits and
   * {@code _} replaced, so that it cannot leave the area.
   */
  public Path newTempFile(String purpose) throws IOException {
    String safe = purpose.replaceAll("[^A-Za-z0-9_]", "_");
    Path path = dir.resolve(safe + "-" + counter.incrementAndGet() + TEMP_SUFFIX);
    return Files.createFile(path);
  }

  /**
   * Opens the staged file of {@code key}, creating it if absent, positioned after the bytes already
   * staged. Deletes staged files of any other batch.
   */
  public StagedFile resume(ResumeKey key) throws IOException {
    deleteResumablesExcept(key);
    Path path = dir.resolve(key.fileName());
    FileChannel ch =
        FileChannel.open(
            path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    long size = ch.size();
    if (size > key.totalLength()) {
      log.warn("{}: {} bytes exceed the batch length; restarting it", path, size);
      ch.truncate(0);
      size = 0;
    }
    return new StagedFile(path, ch, size, key);
  }

  /** Bytes of {@code key}'s batch staged so far (0 if none): where a resumed transfer starts. */
  public long stagedLength(ResumeKey key) throws IOException {
    Path path = dir.resolve(key.fileName());
    if (!Files.exists(path)) {
      return 0;
    }
    long size = Files.size(path);
    return size > key.totalLength() ? 0 : size;
  }

  /** Deletes every resumable staged batch (e.g. after a truncation or a leader change). */
  public void discardResumables() throws IOException {
    deleteResumablesExcept(null);
  }

  private void deleteResumablesExcept(ResumeKey keep) throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, RESUMABLE_PREFIX + "*")) {
      for (Path f : files) {
        ResumeKey key = ResumeKey.parse(f.getFileName().toString());
        if (key != null && !key.equals(keep)) {
          Files.deleteIfExists(f);
        }
      }
    }
  }
}
