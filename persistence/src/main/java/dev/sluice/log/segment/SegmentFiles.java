package dev.sluice.log.segment;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Names of segment files: the base offset, zero-padded to 20 digits so that names sort in offset
 * order, with {@code .log} for batches and {@code .index} for the sparse offset index.
 */
public final class SegmentFiles {
  public static final String LOG_SUFFIX = ".log";
  public static final String INDEX_SUFFIX = ".index";

  private SegmentFiles() {}

  public static String baseName(long baseOffset) {
    return String.format("%020d", baseOffset);
  }

  public static Path logFile(Path dir, long baseOffset) {
    return dir.resolve(baseName(baseOffset) + LOG_SUFFIX);
  }

  public static Path indexFile(Path dir, long baseOffset) {
    return dir.resolve(baseName(baseOffset) + INDEX_SUFFIX);
  }

  /**
   * The segment log files of a partition directory, oldest first (by name, which is by base
   * offset). Other files, including {@code .log} files whose names are not a base offset, are left
   * out.
   */
  public static List<Path> list(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + LOG_SUFFIX)) {
      for (Path f : entries) {
        if (parse(f, LOG_SUFFIX).isPresent()) {
          files.add(f);
        }
      }
    }
    files.sort(null);
    return files;
  }

  /** The base offset encoded in a file name with {@code suffix}, or empty if it is not one. */
  public static OptionalLong parse(Path file, String suffix) {
    String name = file.getFileName().toString();
    if (!name.endsWith(suffix) || name.length() != 20 + suffix.length()) {
      return OptionalLong.empty();
    }
    String digits = name.substring(0, 20);
    for (int i = 0; i < digits.length(); i++) {
      if (!Character.isDigit(digits.charAt(i))) {
        return OptionalLong.empty();
      }
    }
    try {
      return OptionalLong.of(Long.parseLong(digits));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}
