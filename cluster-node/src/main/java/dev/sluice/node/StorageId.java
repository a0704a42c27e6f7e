package dev.sluice.node;

import dev.sluice.log.checkpoint.AtomicFile;
import dev.sluice.log.checkpoint.OffsetCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity of a node's data directory: a random UUID created the first time a node starts on
 * the directory and kept in the file {@value #FILE_NAME} inside it, as one line of text. A wiped or
 * replaced disk has no such file, so it gets a new id; the controller compares it with the id each
 * in-sync replica had when it joined, and never elects a replica whose disk changed (it is a new,
 * empty replica, whatever the node id says).
 *
 * <p>The file is written temp-then-rename with the file and the directory forced, so after a crash
 * it holds the whole id or does not exist. A file that exists but cannot be read or parsed fails
 * the start: replacing it would make a disk that still holds its data look new, and losing an
 * in-sync replica that way is worse than a node that asks its operator to look.
 *
 * <p>Immutable value; {@link #loadOrCreate} must not run concurrently on the same directory (one
 * node per data directory).
 *
 * @param value the UUID
 */
public record StorageId(UUID value) {
  private static final Logger log = LoggerFactory.getLogger(StorageId.class);

  /** Name of the file inside the data directory. */
  public static final String FILE_NAME = "storage-id";

  private static final String TEMP_NAME = FILE_NAME + OffsetCheckpoint.TEMP_SUFFIX;

  /** A canonical UUID is 36 characters; anything much longer is not a storage id file. */
  private static final int MAX_FILE_BYTES = 64;

  public StorageId {
    if (value == null) {
      throw new IllegalArgumentException("storage id must not be null");
    }
  }

  public static StorageId random() {
    return new StorageId(UUID.randomUUID());
  }

  /**
   * The id of {@code dataDir}: read from its {@value #FILE_NAME} file, or created (directory
   * included) when the file does not exist.
   *
   * @throws UncheckedIOException when the file exists but cannot be read or does not hold a UUID
   *     (the message names the file and what it holds), or when a new id cannot be written
   */
  public static StorageId loadOrCreate(Path dataDir) {
    Path file = dataDir.resolve(FILE_NAME);
    try {
      Files.createDirectories(dataDir);
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (NoSuchFileException e) {
        return create(dataDir, file);
      }
      return parse(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read or create the storage id " + file + ": " + e.getMessage(), e);
    }
  }

  /** The id as stored and as sent to the controller: the canonical UUID text. */
  public String text() {
    return value.toString();
  }

  @Override
  public String toString() {
    return text();
  }

  private static StorageId create(Path dataDir, Path file) throws IOException {
    boolean holdsData = holdsData(dataDir);
    StorageId id = random();
    write(file, id);
    if (holdsData) {
      log.info(
          "Data directory {} holds data but no storage id (written by an older version): its"
              + " storage id is now {}",
          dataDir,
          id);
    } else {
      log.info("New data directory {}: storage id {}", dataDir, id);
    }
    return id;
  }

  private static boolean holdsData(Path dataDir) throws IOException {
    try (Stream<Path> entries = Files.list(dataDir)) {
      return entries.anyMatch(p -> !p.getFileName().toString().equals(TEMP_NAME));
    }
  }

  private static StorageId parse(Path file, byte[] bytes) throws IOException {
    if (bytes.length > MAX_FILE_BYTES) {
      throw new IOException(
          "storage id file "
              + file
              + " is "
              + bytes.length
              + " bytes long, at most "
              + MAX_FILE_BYTES
              + " expected (one UUID): restore it, or delete it if this disk is meant to join as a"
              + " new, empty replica");
    }
    String text = new String(bytes, StandardCharsets.UTF_8).strip();
    UUID uuid = null;
    try {
      uuid = UUID.fromString(text);
    } catch (IllegalArgumentException notAUuid) {
      // reported below
    }
    // fromString also accepts abbreviated groups ("1-2-3-4-5"): only a whole UUID counts.
    if (uuid == null || !uuid.toString().equalsIgnoreCase(text)) {
      throw new IOException(
          "storage id file "
              + file
              + " holds '"
              + printable(text)
              + "', not a UUID: restore it, or delete it if this disk is meant to join as a new,"
              + " empty replica");
    }
    return new StorageId(uuid);
  }

  private static void write(Path file, StorageId id) throws IOException {
    AtomicFile.replace(file, (id.text() + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Garbage is quoted in the error, but never as control characters. */
  private static String printable(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out.toString();
  }
}
