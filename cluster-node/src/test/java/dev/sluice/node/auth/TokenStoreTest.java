package dev.sluice.node.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import dev.sluice.config.SettingsException;
import dev.sluice.log.testing.LogCapture;
import dev.sluice.log.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenStoreTest {
  private static final Duration INTERVAL = Duration.ofSeconds(10);

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T08:00:00Z"));
  private final Queue<Runnable> scheduled = new ArrayDeque<>();

  /** Holds the checks the store schedules until the test runs them. */
  private final Executor counting = scheduled::add;

  private TokenFile file;
  private String admin;

  @BeforeEach
  void writeFile() throws Exception {
    file = new TokenFile(dir.resolve("tokens.json"));
    admin = file.create("admin", List.of(Permission.admin()), clock).token();
  }

  private TokenStore open() {
    return TokenStore.open(file.path(), INTERVAL, clock, counting);
  }

  @Test
  void tokensAreLookedUpByHash() {
    TokenStore store = open();
    assertEquals("admin", store.current().authenticate(admin).orElseThrow().name());
    assertTrue(store.current().authenticate(admin + "x").isEmpty());
    assertTrue(store.current().authenticate("").isEmpty());
    assertEquals(1, store.current().size());
  }

  @Test
  void aMissingFileAtStartUpNamesTheKeyAndTheFile() throws Exception {
    Path missing = dir.resolve("nope.json");
    SettingsException e =
        assertThrows(
            SettingsException.class, () -> TokenStore.open(missing, INTERVAL, clock, counting));
    assertEquals(
        List.of(
            "sluice.security.api.tokens-file = "
                + missing
                + ": no such file (bin/sluice token create writes one)"),
        e.violations());
  }

  @Test
  void aBrokenFileAtStartUpNamesTheFileAndEachEntry() throws Exception {
    Files.writeString(
        file.path(),
        """
        {"tokens": [
          {"name": "ok", "sha256": "%s", "permissions": ["admin"]},
          {"name": "writer", "sha256": "%s", "permissions": ["write:orders"]}
        ]}
        """
            .formatted("a".repeat(64), "b".repeat(64)));
    SettingsException e = assertThrows(SettingsException.class, this::open);
    assertEquals(
        List.of(
            "sluice.security.api.tokens-file = "
                + file.path()
                + ": tokens[1] (name 'writer'): permission 'write:orders' is invalid: use admin,"
                + " produce:<topics> or consume:<topics> (topics: a topic name, '*' matching any"
                + " characters)"),
        e.violations());
  }

  @Test
  void aChangedFileIsReadAgainAtMostOncePerInterval() throws Exception {
    TokenStore store = open();
    String writer = file.create("writer", List.of(Permission.produce("orders")), clock).token();

    clock.advance(INTERVAL.minusMillis(1));
    assertTrue(store.current().authenticate(writer).isEmpty(), "read before the interval");
    assertEquals(0, scheduled.size());

    clock.advance(Duration.ofMillis(1));
    assertEquals(1, store.current().size(), "the check is scheduled, this call answers at once");
    assertEquals(1, store.current().size());
    assertEquals(1, scheduled.size(), "one check per interval however many requests");
    scheduled.remove().run();
    assertEquals("writer", store.current().authenticate(writer).orElseThrow().name());
    assertEquals(0, scheduled.size());

    assertTrue(file.revoke("writer"));
    clock.advance(INTERVAL);
    store.current();
    assertEquals(1, scheduled.size());
    scheduled.remove().run();
    assertTrue(store.current().authenticate(writer).isEmpty(), "revoked");
    assertEquals("admin", store.current().authenticate(admin).orElseThrow().name());
  }

  @Test
  void anUnchangedFileIsNotReadAgain() throws Exception {
    TokenStore store = open();
    try (LogCapture log = LogCapture.of(TokenStore.class)) {
      assertFalse(store.reloadIfChanged());
      assertEquals(List.of(), log.messages(Level.INFO));
    }
  }

  @Test
  void aFileBrokenLaterKeepsThePreviousTokensAndLogsOneError() throws Exception {
    TokenStore store = open();
    try (LogCapture log = LogCapture.of(TokenStore.class)) {
      Files.writeString(file.path(), "{\"tokens\": [{\"name\": \"half\"");
      assertFalse(store.reloadIfChanged());
      assertFalse(store.reloadIfChanged());
      clock.advance(INTERVAL);
      store.current();
      scheduled.remove().run();
      assertEquals("admin", store.current().authenticate(admin).orElseThrow().name());
      List<String> errors = log.messages(Level.ERROR);
      assertEquals(1, errors.size(), errors.toString());
      assertTrue(
          errors
              .get(0)
              .startsWith(
                  "sluice.security.api.tokens-file = "
                      + file.path()
                      + ": changed but is invalid, the 1 tokens read before stay in force: not a"
                      + " JSON document: "),
          errors.get(0));

      Files.delete(file.path());
      assertFalse(store.reloadIfChanged());
      assertFalse(store.reloadIfChanged());
      assertEquals(
          "sluice.security.api.tokens-file = "
              + file.path()
              + ": the file is gone; the 1 tokens read before stay in force",
          log.messages(Level.ERROR).get(1));
      assertEquals(2, log.messages(Level.ERROR).size());
      assertEquals("admin", store.current().authenticate(admin).orElseThrow().name());

      String fresh = file.create("fresh", List.of(), clock).token();
      assertTrue(store.reloadIfChanged());
      assertTrue(store.current().authenticate(admin).isEmpty(), "the new file replaced the set");
      assertEquals("fresh", store.current().authenticate(fresh).orElseThrow().name());
    }
  }

  @Test
  void aFileOthersMayReadIsWarnedAbout() throws Exception {
    Files.setPosixFilePermissions(file.path(), PosixFilePermissions.fromString("rw-r--r--"));
    try (LogCapture log = LogCapture.of(TokenStore.class)) {
      open();
      assertEquals(
          List.of(
              "sluice.security.api.tokens-file = "
                  + file.path()
                  + ": mode rw-r--r-- lets group or others read or write the tokens file; chmod"
                  + " 600 it"),
          log.messages(Level.WARN));
    }
  }
}
