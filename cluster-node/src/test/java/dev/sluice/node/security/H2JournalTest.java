package dev.sluice.node.security;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.ControllerSettings;
import dev.sluice.config.Journal;
import dev.sluice.config.PostgresSettings;
import dev.sluice.config.SettingsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The H2 journal server stays on loopback and behind a password: a non-loopback bind address is
 * refused naming the property and its value; the password file is created 0600 on first start and
 * reused; a journal of an older version (empty password) gets the file's password; a journal that
 * refuses the password is a settings error naming the file.
 */
class H2JournalTest {
  @TempDir Path dir;

  @Test
  void onlyALockFileRaceIsRetried() {
    // what H2 2.3 throws when another JVM takes the lock file at the same moment
    assertTrue(
        H2Journal.isLockRace(
            new SQLException(
                "Error opening database: \"Lock file recently modified\" [8000-232]",
                "08000",
                8000)));
    assertTrue(
        H2Journal.isLockRace(
            new SQLException(
                "Error opening database: \"Another process was faster\" [8000-232]",
                "08000",
                8000)));
    assertTrue(
        H2Journal.isLockRace(
            new SQLException(
                "Error opening database: \"Concurrent update\" [8000-232]", "08000", 8000)));
    assertTrue(
        H2Journal.isLockRace(
            new SQLException(
                "Database may be already in use: \"Locked by another process: /x/journal.lock.db\"."
                    + " Possible solutions: close all other connection(s); use the server mode"
                    + " [90020-232]",
                "90020",
                90020)));
    assertTrue(
        H2Journal.isLockRace(
            new SQLException(
                "Connection is broken: \"java.io.EOFException: localhost:38883\" [90067-232]",
                "90067",
                90067)));
    assertFalse(
        H2Journal.isLockRace(
            new SQLException("Wrong user name or password [28000-232]", "28000", 28000)));
    assertFalse(
        H2Journal.isLockRace(
            new SQLException(
                "Error opening database: \"Unsupported lock method\"", "08000", 8000)));
  }

  @Test
  void aBindAddressOtherThanLoopbackIsRefused() {
    String why =
        "the H2 journal server must listen on loopback only (-Dh2.bindAddress=127.0.0.1); use"
            + " PostgreSQL across machines";
    assertEquals(List.of("h2.bindAddress = 0.0.0.0: " + why), refusal("0.0.0.0"));
    assertEquals(List.of("h2.bindAddress = 10.1.2.3: " + why), refusal("10.1.2.3"));
    assertEquals(
        List.of("h2.bindAddress = (unset): H2 would listen on every interface; " + why),
        refusal(null));
    assertEquals(
        List.of("h2.bindAddress = db.example: not an IP literal; " + why), refusal("db.example"));
    assertDoesNotThrow(() -> H2Journal.checkBindAddress("127.0.0.1"));
    assertDoesNotThrow(() -> H2Journal.checkBindAddress("::1"));
    // this JVM's H2, as loaded (surefire passes -Dh2.bindAddress=127.0.0.1)
    assertDoesNotThrow(() -> H2Journal.checkBindAddress());
  }

  @Test
  void theFirstStartCreatesAPrivatePasswordFileThatLaterStartsReuse() throws Exception {
    Path h2 = dir.resolve("controller/journal");
    H2Journal.Credentials first = H2Journal.open(settings(Optional.empty()), h2, url(h2));
    Path file = dir.resolve("controller/journal.password");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("controller"))));
    assertEquals(43, first.password().length());
    assertEquals("sa", first.user());
    assertTrue(!first.toString().contains(first.password()), first.toString());

    H2Journal.Credentials second = H2Journal.open(settings(Optional.empty()), h2, url(h2));
    assertEquals(first, second);
    try (Connection c = DriverManager.getConnection(url(h2), "sa", first.password())) {
      assertTrue(c.isValid(1));
    }
    assertEquals(28000, refusedErrorCode(url(h2), ""));
  }

  @Test
  void aJournalWithTheEmptyPasswordOfOlderVersionsGetsThePassword() throws Exception {
    Path h2 = dir.resolve("old/journal");
    Files.createDirectories(h2.getParent());
    try (Connection c = DriverManager.getConnection(url(h2), "sa", "")) {
      c.createStatement().execute("CREATE TABLE kept(id INT)");
    }
    H2Journal.Credentials credentials = H2Journal.open(settings(Optional.empty()), h2, url(h2));

    assertEquals(28000, refusedErrorCode(url(h2), ""));
    try (Connection c = DriverManager.getConnection(url(h2), "sa", credentials.password())) {
      c.createStatement().execute("SELECT COUNT(*) FROM kept");
    }
  }

  @Test
  void aJournalThatRefusesThePasswordNamesThePasswordFile() throws Exception {
    Path h2 = dir.resolve("other/journal");
    Files.createDirectories(h2.getParent());
    try (Connection c = DriverManager.getConnection(url(h2), "sa", "someone-elses")) {
      assertTrue(c.isValid(1));
    }
    Path file = Files.writeString(dir.resolve("h2.password"), "not-the-password\n");
    SettingsException refused =
        assertThrows(
            SettingsException.class,
            () -> H2Journal.open(settings(Optional.of(file)), h2, url(h2)));
    assertEquals(
        List.of(
            "sluice.controller.h2-password-file = "
                + file
                + ": the H2 journal "
                + url(h2)
                + " refuses user sa with this password (and with an empty one); restore the"
                + " password file the journal was created with"),
        refused.violations());
  }

  private static List<String> refusal(String bindAddress) {
    return assertThrows(SettingsException.class, () -> H2Journal.checkBindAddress(bindAddress))
        .violations();
  }

  private static ControllerSettings settings(Optional<Path> passwordFile) {
    return new ControllerSettings(
        Journal.H2, Optional.empty(), new PostgresSettings("", "", ""), 2, "sa", passwordFile);
  }

  /** The URL form of sluice-controller.conf. */
  private static String url(Path h2) {
    return "jdbc:h2:file:" + h2 + ";AUTO_SERVER=TRUE;WRITE_DELAY=0";
  }

  private static int refusedErrorCode(String url, String password) {
    SQLException e =
        assertThrows(
            SQLException.class, () -> DriverManager.getConnection(url, "sa", password).close());
    return e.getErrorCode();
  }
}
