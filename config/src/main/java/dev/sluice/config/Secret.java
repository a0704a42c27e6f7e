package dev.sluice.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A password given inline ({@code key}) or in a file ({@code key-file}); the file wins when both
 * are set, because a file keeps the secret out of the config and out of {@code ps}. The value is
 * read only by {@link #reveal()}, never by {@link #toString()}, which prints {@code ***}.
 *
 * <p>Immutable; thread-safe. {@link #reveal()} reads the file on every call, so a rotated password
 * file is picked up by whoever re-reads it.
 *
 * @param key the config key of the inline form, for messages ({@code
 *     sluice.security.tls.key-store-password}); the file form's key is {@code key + "-file"}
 * @param inline the inline value; empty when not set
 * @param file the file holding the value
 */
public record Secret(String key, String inline, Optional<Path> file) {

  public Secret {
    inline = inline == null ? "" : inline;
    file = file == null ? Optional.empty() : file;
  }

  /** No secret: reveals an empty password. */
  public static Secret none(String key) {
    return new Secret(key, "", Optional.empty());
  }

  /** A secret given inline. */
  public static Secret of(String key, String value) {
    return new Secret(key, value, Optional.empty());
  }

  /** A secret read from {@code file}. */
  public static Secret fromFile(String key, Path file) {
    return new Secret(key, "", Optional.of(file));
  }

  /** The key of the file form. */
  public String fileKey() {
    return key + "-file";
  }

  /** True when neither form is set. */
  public boolean isEmpty() {
    return inline.isEmpty() && file.isEmpty();
  }

  /** Where the value comes from, for messages that must not print it: a key and maybe a file. */
  public String source() {
    return file.map(f -> fileKey() + " = " + f).orElse(key);
  }

  /**
   * The value. A file's first line is the value (a trailing newline from an editor is not part of
   * it).
   *
   * @throws SettingsException naming the file key and the file when it cannot be read
   */
  public char[] reveal() {
    if (file.isEmpty()) {
      return inline.toCharArray();
    }
    Path f = file.get();
    try {
      String content = Files.readString(f, StandardCharsets.UTF_8);
      int end = content.indexOf('\n');
      String line = end < 0 ? content : content.substring(0, end);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      return line.toCharArray();
    } catch (IOException e) {
      throw new SettingsException(
          List.of(fileKey() + " = " + f + ": cannot read the password file (" + e + ")"));
    }
  }

  @Override
  public String toString() {
    return file.map(f -> "Secret[" + fileKey() + "=" + f + "]").orElse("Secret[" + key + "=***]");
  }
}
