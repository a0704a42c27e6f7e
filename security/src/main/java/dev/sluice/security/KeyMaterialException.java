package dev.sluice.security;

import java.nio.file.Path;

/**
 * A key, certificate or key store file that cannot be used. The message is {@code <file>:
 * <reason>}; callers that know the config key turn it into a settings line {@code key = file:
 * reason} with {@link #reason()}.
 */
public final class KeyMaterialException extends Exception {
  private final Path file;
  private final String reason;

  public KeyMaterialException(Path file, String reason) {
    super(file + ": " + reason);
    this.file = file;
    this.reason = reason;
  }

  public KeyMaterialException(Path file, String reason, Throwable cause) {
    super(file + ": " + reason, cause);
    this.file = file;
    this.reason = reason;
  }

  /** The file at fault. */
  public Path file() {
    return file;
  }

  /** Why, without the file name. */
  public String reason() {
    return reason;
  }
}
