package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.TokenFile.Entry;
import dev.sluice.api.TokenFile.InvalidTokenFileException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
  private static final String A = "a".repeat(64);
  private static final String B = "b".repeat(64);
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-30T08:00:00.123Z"), ZoneOffset.UTC);

  @TempDir Path dir;

  @Test
  void readsEntriesIgnoringFieldsItDoesNotKnow() {
    List<Entry> entries =
        TokenFile.parse(
            """
            {"tokens": [
              {"name": "admin", "sha256": "%s", "permissions": ["admin", "produce:*", "consume:*"],
               "created": "2026-11-30T08:00:00Z", "note": "from a newer CLI"},
              {"name": "orders-writer", "sha256": "%s", "permissions": ["produce:orders-*"]},
              {"name": "lister", "sha256": "%s", "permissions": []}
            ]}
            """
                .formatted(A, B, "c".repeat(64)),
            "t.json");
    assertEquals(
        List.of(
            new Entry(
                "admin",
                A,
                List.of(Permission.admin(), Permission.produce("*"), Permission.consume("*")),
                Optional.of(Instant.parse("2026-11-30T08:00:00Z"))),
            new Entry(
                "orders-writer", B, List.of(Permission.produce("orders-*")), Optional.empty()),
            new Entry("lister", "c".repeat(64), List.of(), Optional.empty())),
        entries);
    assertEquals("admin, produce:*, consume:*", entries.get(0).describePermissions());
    assertEquals("no permissions", entries.get(2).describePermissions());
  }

  @Test
  void aBrokenFileListsEveryProblemNamingTheFileAndTheEntry() {
    InvalidTokenFileException e =
        assertThrows(
            InvalidTokenFileException.class,
            () ->
                TokenFile.parse(
                    """
                    {"tokens": [
                      {"name": "ok", "sha256": "%s", "permissions": ["admin"]},
                      {"name": "writer", "sha256": "%s", "permissions": ["produce:"]},
                      {"name": "short", "sha256": "abc", "permissions": []},
                      {"sha256": "%s", "permissions": []},
                      {"name": "when", "sha256": "%s", "permissions": [], "created": "yesterday"},
                      {"name": "ok", "sha256": "%s", "permissions": "admin"},
                      {"name": "twin", "sha256": "%s", "permissions": []},
                      7
                    ]}
                    """
                        .formatted(A, B, "c".repeat(64), "d".repeat(64), "e".repeat(64), A),
                    "/etc/sluice/tokens.json"));
    assertEquals(
        List.of(
            "tokens[1] (name 'writer'): permission 'produce:' is invalid: the topics must be 1 to"
                + " 210 characters of A-Z, a-z, 0-9, '.', '_', '-' and '*' (any characters)",
            "tokens[2] (name 'short'): sha256 'abc' is not 64 lower-case hex digits (the token's"
                + " SHA-256)",
            "tokens[3]: \"name\" is required and must be a string",
            "tokens[4] (name 'when'): \"created\" = 'yesterday' is not an ISO-8601 instant"
                + " (2026-11-30T08:00:00Z)",
            "tokens[5] (name 'ok'): \"permissions\" must be an array of strings",
            "tokens[7]: expected an object, got NUMBER",
            "name 'twin': sha256 " + A + " is another entry's as well"),
        e.problems());
    assertTrue(e.getMessage().startsWith("invalid tokens file /etc/sluice/tokens.json:\n  "));
  }

  @Test
  void notADocumentOfTokensIsRefused() {
    assertEquals(
        List.of("expected an object with a \"tokens\" array"),
        assertThrows(InvalidTokenFileException.class, () -> TokenFile.parse("{}", "f")).problems());
    assertEquals(
        List.of("expected an object with a \"tokens\" array"),
        assertThrows(
                InvalidTokenFileException.class, () -> TokenFile.parse("{\"tokens\": {}}", "f"))
            .problems());
    String problem =
        assertThrows(InvalidTokenFileException.class, () -> TokenFile.parse("{\"tokens\": [", "f"))
            .problems()
            .get(0);
    assertTrue(problem.startsWith("not a JSON document: "), problem);
    assertEquals(
        List.of(
            "not a JSON document: Unexpected end-of-input: expected close marker for Object at line 1"),
        assertThrows(
                InvalidTokenFileException.class,
                () -> TokenFile.parse("{\"tokens\": [{\"a\": 1", "f"))
            .problems());
    assertThrows(
        InvalidTokenFileException.class,
        () ->
            TokenFile.parse(
                "{\"tokens\": [{\"name\": \"x\", \"sha256\": \"%s\", \"permissions\": []},"
                        .formatted(A)
                    + " {\"name\": \"x\", \"sha256\": \"%s\", \"permissions\": []}]}".formatted(B),
                "f"));
  }

  @Test
  void createWritesOnlyTheHashWithMode0600AndPrintsTheTokenOnce() throws Exception {
    TokenFile file = new TokenFile(dir.resolve("security/tokens.json"));
    assertEquals(List.of(), file.list());
    assertThrows(NoSuchFileException.class, file::read);

    TokenFile.Created admin = file.create("admin", List.of(Permission.admin()), CLOCK);
    TokenFile.Created writer =
        file.create("orders-writer", List.of(Permission.produce("orders-*")), CLOCK);

    assertEquals(Auth.sha256Hex(admin.token()), admin.entry().sha256());
    assertEquals(Optional.of(Instant.parse("2026-11-30T08:00:00Z")), admin.entry().created());
    assertEquals(List.of(admin.entry(), writer.entry()), file.read());
    String text = Files.readString(file.path());
    assertFalse(text.contains(admin.token()), text);
    assertFalse(admin.toString().contains(admin.token()));
    assertTrue(text.contains(admin.entry().sha256()), text);
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path())));
    assertEquals(
        """
        {
          "tokens": [
            {"name":"admin","sha256":"%s","permissions":["admin"],"created":"2026-11-30T08:00:00Z"},
            {"name":"orders-writer","sha256":"%s","permissions":["produce:orders-*"],"created":"2026-11-30T08:00:00Z"}
          ]
        }
        """
            .formatted(admin.entry().sha256(), writer.entry().sha256()),
        text);

    IllegalArgumentException twice =
        assertThrows(IllegalArgumentException.class, () -> file.create("admin", List.of(), CLOCK));
    assertEquals(
        "a token named 'admin' is already in " + file.path() + ": revoke it first",
        twice.getMessage());
  }

  @Test
  void revokeRemovesOneEntryAndLeavesNoTemporaryFiles() throws Exception {
    TokenFile file = new TokenFile(dir.resolve("tokens.json"));
    TokenFile.Created keep = file.create("keep", List.of(Permission.consume("*")), CLOCK);
    file.create("drop", List.of(), CLOCK);
    assertTrue(file.revoke("drop"));
    assertFalse(file.revoke("drop"));
    assertEquals(List.of(keep.entry()), file.read());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(file.path()), files.toList());
    }
    assertTrue(file.revoke("keep"));
    assertEquals(List.of(), file.read());
    assertEquals("{\n  \"tokens\": []\n}\n", Files.readString(file.path()));
  }

  @Test
  void writingRefusesDuplicates() {
    Entry one = new Entry("x", A, List.of(), Optional.empty());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new TokenFile(dir.resolve("t.json"))
                    .write(List.of(one, new Entry("x", B, List.of(), Optional.empty()))));
    assertTrue(e.getMessage().endsWith("name 'x' appears more than once"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new Entry("bad name", A, List.of(), Optional.empty()));
  }
}
