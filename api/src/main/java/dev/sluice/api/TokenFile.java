package dev.sluice.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tokens file: the hashed bearer tokens a node accepts, read by the node and written by {@code
 * bin/sluice token create|list|revoke}. It is one JSON document (which is also valid HOCON), kept
 * mode 0600:
 *
 * <pre>
 * {
 *   "tokens": [
 *     {"name":"admin","sha256":"&lt;64 hex&gt;","permissions":["admin","produce:*","consume:*"],"created":"2026-11-30T08:00:00Z"},
 *     {"name":"orders-writer","sha256":"&lt;64 hex&gt;","permissions":["produce:orders-*"]}
 *   ]
 * }
 * </pre>
 *
 * <p>Each entry has a unique {@code name} (shown in 403 answers and logs), the unique SHA-256 of
 * its token ({@link Auth#sha256Hex}), its {@link Permission}s (possibly none: such a token may only
 * list topics) and, optionally, when it was created (ISO-8601). Fields this version does not know
 * are ignored. A file that breaks a rule is refused whole, with every problem listed, each naming
 * the file and the entry.
 *
 * <p>Writes replace the file atomically (a 0600 temporary file in the same directory, forced to
 * disk, then moved over the old one), so a reader sees the old or the new file, never a partial
 * one. Two writers at once may lose one's change; the CLI is the only writer.
 *
 * <p>Thread-safety: immutable; each call reads or writes the file anew.
 */
public final class TokenFile {
  /** Root field holding the entries. */
  public static final String TOKENS = "tokens";

  /** The longest token name. */
  public static final int MAX_NAME_LENGTH = 100;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1," + MAX_NAME_LENGTH + "}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Set<PosixFilePermission> OWNER_READ_WRITE =
      PosixFilePermissions.fromString("rw-------");

  private final Path path;

  public TokenFile(Path path) {
    this.path = Objects.requireNonNull(path, "path");
  }

  public Path path() {
    return path;
  }

  /**
   * One accepted token.
   *
   * @param name unique in the file, 1 to {@value #MAX_NAME_LENGTH} characters of {@code A-Z a-z 0-9
   *     . _ @ -}
   * @param sha256 the token's {@link Auth#sha256Hex}, 64 lower-case hex digits
   * @param permissions what the token may do, in the file's order
   * @param created when the token was created, if known
   */
  public record Entry(
      String name, String sha256, List<Permission> permissions, Optional<Instant> created) {
    public Entry {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(sha256, "sha256");
      permissions = List.copyOf(permissions);
      Objects.requireNonNull(created, "created");
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(nameRule(name));
      }
      if (!SHA256.matcher(sha256).matches()) {
        throw new IllegalArgumentException(
            "sha256 '" + sha256 + "' is not 64 lower-case hex digits (the token's SHA-256)");
      }
    }

    /** The permissions in their text form, comma-separated, or {@code no permissions}. */
    public String describePermissions() {
      if (permissions.isEmpty()) {
        return "no permissions";
      }
      return String.join(", ", permissions.stream().map(Permission::toString).toList());
    }
  }

  /**
   * A token just created: the token in clear, to be shown once, and the entry the file now holds.
   */
  public record Created(String token, Entry entry) {
    @Override
    public String toString() {
      return "Created[token=***, entry=" + entry + "]";
    }
  }

  /** A tokens file that breaks a rule; the message lists every problem, one per line. */
  public static final class InvalidTokenFileException extends RuntimeException {
    private final List<String> problems;

    public InvalidTokenFileException(String source, List<String> problems) {
      super("invalid tokens file " + source + ":\n  " + String.join("\n  ", problems));
      this.problems = List.copyOf(problems);
    }

    /** Each problem, naming the entry ({@code tokens[1] (name 'x'): ...}). */
    public List<String> problems() {
      return problems;
    }
  }

  /**
   * The entries of the file.
   *
   * @throws NoSuchFileException when there is no file
   * @throws InvalidTokenFileException when the file breaks a rule
   */
  public List<Entry> read() throws IOException {
    return parse(Files.readString(path, StandardCharsets.UTF_8), path.toString());
  }

  /** The entries, or none when there is no file yet (what {@code token list} shows). */
  public List<Entry> list() throws IOException {
    try {
      return read();
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }

  /**
   * Adds a token named {@code name} with a new random token, creating the file when there is none.
   *
   * @throws IllegalArgumentException when the name is invalid or already in the file
   */
  public Created create(String name, List<Permission> permissions, Clock clock) throws IOException {
    String token = Auth.newToken();
    Entry entry =
        new Entry(
            name,
            Auth.sha256Hex(token),
            permissions,
            Optional.of(clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
    List<Entry> entries = new ArrayList<>(list());
    if (entries.stream().anyMatch(e -> e.name().equals(name))) {
      throw new IllegalArgumentException(
          "a token named '" + name + "' is already in " + path + ": revoke it first");
    }
    entries.add(entry);
    write(entries);
    return new Created(token, entry);
  }

  /** Removes the token named {@code name}; false when the file holds no such token. */
  public boolean revoke(String name) throws IOException {
    List<Entry> entries = new ArrayList<>(list());
    if (!entries.removeIf(e -> e.name().equals(name))) {
      return false;
    }
    write(entries);
    return true;
  }

  /**
   * Replaces the file with {@code entries}, atomically and mode 0600 (where the file system has
   * POSIX permissions), creating its directory when missing.
   *
   * @throws IllegalArgumentException when two entries share a name or a hash
   */
  public void write(List<Entry> entries) throws IOException {
    List<String> duplicates = duplicates(entries);
    if (!duplicates.isEmpty()) {
      throw new IllegalArgumentException(
          "not writing " + path + ": " + String.join("; ", duplicates));
    }
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    FileAttribute<?>[] attrs =
        posix
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE)}
            : new FileAttribute<?>[0];
    Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp", attrs);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(render(entries).getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The file's text for {@code entries}: one entry per line, so that a diff shows one token. */
  public static String render(List<Entry> entries) {
    ObjectMapper json = ApiJson.mapper();
    StringBuilder sb = new StringBuilder("{\n  \"" + TOKENS + "\": [");
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("name", e.name());
      fields.put("sha256", e.sha256());
      fields.put("permissions", e.permissions().stream().map(Permission::toString).toList());
      e.created().ifPresent(c -> fields.put("created", c.toString()));
      try {
        sb.append(i == 0 ? "\n    " : ",\n    ").append(json.writeValueAsString(fields));
      } catch (JsonProcessingException ex) {
        throw new IllegalStateException("cannot render token entry " + e.name(), ex);
      }
    }
    return sb.append(entries.isEmpty() ? "]\n}\n" : "\n  ]\n}\n").toString();
  }

  /**
   * Reads a tokens file's text.
   *
   * @param source names the text in messages (the file's path)
   * @throws InvalidTokenFileException listing every problem
   */
  public static List<Entry> parse(String text, String source) {
    JsonNode root;
    try {
      root = ApiJson.mapper().readTree(text);
    } catch (JsonProcessingException e) {
      throw new InvalidTokenFileException(
          source,
          List.of(
              "not a JSON document: "
                  + e.getOriginalMessage().replaceAll("\\s*\\(start marker at .*\\)$", "")
                  + " at line "
                  + e.getLocation().getLineNr()));
    }
    JsonNode tokens = root == null ? null : root.get(TOKENS);
    if (tokens == null || !tokens.isArray()) {
      throw new InvalidTokenFileException(
          source, List.of("expected an object with a \"" + TOKENS + "\" array"));
    }
    List<String> problems = new ArrayList<>();
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      JsonNode node = tokens.get(i);
      String where = where(i, node);
      try {
        entries.add(entry(node));
      } catch (IllegalArgumentException e) {
        problems.add(where + ": " + e.getMessage());
      }
    }
    problems.addAll(duplicates(entries));
    if (!problems.isEmpty()) {
      throw new InvalidTokenFileException(source, problems);
    }
    return List.copyOf(entries);
  }

  private static Entry entry(JsonNode node) {
    if (!node.isObject()) {
      throw new IllegalArgumentException("expected an object, got " + node.getNodeType());
    }
    String name = text(node, "name");
    String sha256 = text(node, "sha256");
    JsonNode perms = node.get("permissions");
    if (perms == null || !perms.isArray()) {
      throw new IllegalArgumentException("\"permissions\" must be an array of strings");
    }
    List<Permission> permissions = new ArrayList<>();
    for (JsonNode p : perms) {
      if (!p.isTextual()) {
        throw new IllegalArgumentException("\"permissions\" holds a non-string: " + p);
      }
      permissions.add(Permission.parse(p.asText()));
    }
    Optional<Instant> created = Optional.empty();
    JsonNode c = node.get("created");
    if (c != null && !c.isNull()) {
      try {
        created = Optional.of(Instant.parse(c.asText()));
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "\"created\" = '" + c.asText() + "' is not an ISO-8601 instant (2026-11-30T08:00:00Z)");
      }
    }
    return new Entry(name, sha256, permissions, created);
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("\"" + field + "\" is required and must be a string");
    }
    return v.asText();
  }

  private static String where(int index, JsonNode node) {
    JsonNode name = node.get("name");
    return TOKENS
        + "["
        + index
        + "]"
        + (name != null && name.isTextual() ? " (name '" + name.asText() + "')" : "");
  }

  private static List<String> duplicates(List<Entry> entries) {
    List<String> problems = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> hashes = new HashSet<>();
    for (Entry e : entries) {
      if (!names.add(e.name())) {
        problems.add("name '" + e.name() + "' appears more than once");
      }
      if (!hashes.add(e.sha256())) {
        problems.add(
            "name '" + e.name() + "': sha256 " + e.sha256() + " is another entry's as well");
      }
    }
    return problems;
  }

  private static String nameRule(String name) {
    return "name '"
        + name
        + "' is invalid: use 1 to "
        + MAX_NAME_LENGTH
        + " characters of A-Z, a-z, 0-9, '.', '_', '@', '-'";
  }
}
