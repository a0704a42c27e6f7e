package dev.sluice.log.staging;

/**
 * Identifies an oversized batch being received in chunks: the leader's base offset, total size and
 * CRC. A transfer restarted after a failure asks for the same key and continues from the staged
 * file's durable length instead of starting over.
 */
public record ResumeKey(long baseOffset, long totalLength, int crc) {
  public ResumeKey {
    if (baseOffset < 0 || totalLength <= 0) {
      throw new IllegalArgumentException(
          "invalid resume key: baseOffset " + baseOffset + ", totalLength " + totalLength);
    }
  }

  String fileName() {
    return String.format(
        "%s%d-%d-%08x%s",
        StagingArea.RESUMABLE_PREFIX, baseOffset, totalLength, crc, StagingArea.RESUMABLE_SUFFIX);
  }

  /** Parses a resumable staged file name, or returns null if the name is not one. */
  static ResumeKey parse(String name) {
    if (!name.startsWith(StagingArea.RESUMABLE_PREFIX)
        || !name.endsWith(StagingArea.RESUMABLE_SUFFIX)) {
      return null;
    }
    String core =
        name.substring(
            StagingArea.RESUMABLE_PREFIX.length(),
            name.length() - StagingArea.RESUMABLE_SUFFIX.length());
    String[] parts = core.split("-");
    if (parts.length != 3) {
      return null;
    }
    try {
      return new ResumeKey(
          Long.parseLong(parts[0]), Long.parseLong(parts[1]), (int) Long.parseLong(parts[2], 16));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
