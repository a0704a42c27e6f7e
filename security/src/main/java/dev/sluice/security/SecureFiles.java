package dev.sluice.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * Files that hold secrets: directories with mode 0700, files with mode 0600, written so that no
 * reader ever sees a partial file or a moment with wider permissions. A file is first written to a
 * temporary sibling created with its final mode, then renamed (replace) or hard-linked (create only
 * if absent) into place.
 *
 * <p>On file systems without POSIX permissions the modes are skipped; the writes stay atomic.
 * Stateless; thread-safe; several processes may race on the same file.
 */
public final class SecureFiles {
  private static final Set<PosixFilePermission> PRIVATE_FILE =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> PUBLIC_FILE =
      PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> PRIVATE_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final SecureRandom RANDOM = new SecureRandom();

  private SecureFiles() {}

  /** Creates {@code dir} (and missing parents) and sets it to 0700. */
  public static Path createPrivateDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    if (posix(dir)) {
      Files.setPosixFilePermissions(dir, PRIVATE_DIR);
    }
    return dir;
  }

  /** Writes {@code content} to {@code file} with mode 0600, replacing it atomically. */
  public static void writePrivate(Path file, byte[] content) throws IOException {
    replace(file, content, PRIVATE_FILE);
  }

  /** Writes {@code content} to {@code file} with mode 0644 (certificates), replacing it. */
  public static void writePublic(Path file, byte[] content) throws IOException {
    replace(file, content, PUBLIC_FILE);
  }

  /**
   * Creates {@code file} with {@code content} and mode 0600 unless it exists.
   *
   * @return true when this call created it; false when it existed (possibly created by a racing
   *     process, whose content then stands)
   */
  public static boolean createPrivate(Path file, byte[] content) throws IOException {
    Path tmp = temp(file, PRIVATE_FILE);
    try {
      Files.write(tmp, content);
      try {
        Files.createLink(file, tmp);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (UnsupportedOperationException e) {
        try {
          Files.move(tmp, file);
          return true;
        } catch (FileAlreadyExistsException exists) {
          return false;
        }
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * The secret in {@code file} (its first line), creating the file with {@link #randomSecret()} and
   * mode 0600 when it does not exist. Processes that race get the same secret.
   */
  public static String readOrCreateSecret(Path file) throws IOException {
    if (!Files.exists(file)) {
      createPrivate(file, (randomSecret() + "\n").getBytes(StandardCharsets.US_ASCII));
    }
    String content = Files.readString(file, StandardCharsets.UTF_8);
    int end = content.indexOf('\n');
    String secret = (end < 0 ? content : content.substring(0, end)).strip();
    if (secret.isEmpty()) {
      throw new IOException(file + ": the secret file is empty");
    }
    return secret;
  }

  /** 32 random bytes as base64url without padding (43 characters). */
  public static String randomSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * True when no one but the owner may read or write {@code path} (no group or other bits), or when
   * the file system has no POSIX permissions.
   */
  public static boolean isPrivate(Path path) throws IOException {
    if (!posix(path)) {
      return true;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
    return perms.stream()
        .noneMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"));
  }

  /** Sets {@code file} to 0600 (for files written by other programs, such as keytool). */
  public static void makePrivate(Path file) throws IOException {
    if (posix(file)) {
      Files.setPosixFilePermissions(file, PRIVATE_FILE);
    }
  }

  private static void replace(Path file, byte[] content, Set<PosixFilePermission> mode)
      throws IOException {
    Path tmp = temp(file, mode);
    try {
      Files.write(tmp, content);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static Path temp(Path file, Set<PosixFilePermission> mode) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    String prefix = "." + file.getFileName() + ".";
    if (posix(dir)) {
      FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(mode);
      Path tmp = Files.createTempFile(dir, prefix, ".tmp", attr);
      // the umask may have narrowed the mode given at creation; public files must be readable
      Files.setPosixFilePermissions(tmp, mode);
      return tmp;
    }
    return Files.createTempFile(dir, prefix, ".tmp");
  }

  private static boolean posix(Path path) {
    Path existing = path.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing != null
        && Files.getFileAttributeView(existing, PosixFileAttributeView.class) != null;
  }
}
