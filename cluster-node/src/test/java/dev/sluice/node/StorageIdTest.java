package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** The data directory's storage id: created once, read back, never silently replaced. */
class StorageIdTest {

  @TempDir Path dir;

  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(StorageId.class);

  @BeforeEach
  void captureLog() {
    logged.start();
    logger.addAppender(logged);
  }

  @AfterEach
  void releaseLog() {
    logger.detachAppender(logged);
  }

  private Path file() {
    return dir.resolve(StorageId.FILE_NAME);
  }

  private List<String> infoLines() {
    return logged.list.stream()
        .filter(e -> e.getLevel() == Level.INFO)
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  @Test
  void aNewDirectoryGetsAnIdThatEveryLaterStartReadsBack() throws Exception {
    Path data = dir.resolve("data");

    StorageId created = StorageId.loadOrCreate(data);
    StorageId again = StorageId.loadOrCreate(data);

    assertEquals(created, again);
    assertEquals(
        created.text() + "\n",
        Files.readString(data.resolve(StorageId.FILE_NAME), StandardCharsets.UTF_8));
    assertFalse(Files.exists(data.resolve(StorageId.FILE_NAME + ".tmp")), "temp file left over");
    assertEquals(List.of("New data directory " + data + ": storage id " + created), infoLines());
  }

  @Test
  void aDirectoryWithDataFromAnOlderVersionGetsAnIdAndKeepsItsData() throws Exception {
    Path partition = Files.createDirectories(dir.resolve("orders-0"));
    Files.write(partition.resolve("00000000000000000000.log"), new byte[] {1, 2, 3});

    StorageId id = StorageId.loadOrCreate(dir);

    assertEquals(id, StorageId.loadOrCreate(dir));
    assertArrayEquals(
        new byte[] {1, 2, 3}, Files.readAllBytes(partition.resolve("00000000000000000000.log")));
    assertEquals(1, infoLines().size(), infoLines().toString());
    assertTrue(
        infoLines().get(0).contains("holds data but no storage id (written by an older version)"),
        infoLines().toString());
  }

  @Test
  void aWipedDirectoryGetsANewId() throws Exception {
    StorageId before = StorageId.loadOrCreate(dir);
    Files.delete(file());

    StorageId after = StorageId.loadOrCreate(dir);

    assertNotEquals(before, after);
  }

  @Test
  void aTempFileLeftByACrashBeforeTheRenameIsReplaced() throws Exception {
    Files.writeString(dir.resolve(StorageId.FILE_NAME + ".tmp"), "0123");

    StorageId id = StorageId.loadOrCreate(dir);

    assertEquals(id, StorageId.loadOrCreate(dir));
    assertFalse(Files.exists(dir.resolve(StorageId.FILE_NAME + ".tmp")));
    assertTrue(infoLines().get(0).startsWith("New data directory"), infoLines().toString());
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(
      strings = {
        "",
        "garbage",
        "1-2-3-4-5",
        "6ba7b810-9dad-11d1-80b4-00c04fd430c8x",
        "6ba7b810-9dad-11d1-80b4"
      })
  void aFileThatHoldsNoIdFailsTheStartAndIsLeftAsItIs(String content) throws Exception {
    Files.writeString(file(), content);

    UncheckedIOException e =
        assertThrows(UncheckedIOException.class, () -> StorageId.loadOrCreate(dir));

    assertTrue(
        e.getMessage()
            .contains("storage id file " + file() + " holds '" + content + "', not a UUID"),
        e.getMessage());
    assertEquals(content, Files.readString(file()));
  }

  @Test
  void anIdRestoredByHandIsReadWhateverItsCaseAndSurroundingWhitespace() throws Exception {
    Files.writeString(file(), "  6BA7B810-9DAD-11D1-80B4-00C04FD430C8\r\n\n");

    assertEquals("6ba7b810-9dad-11d1-80b4-00c04fd430c8", StorageId.loadOrCreate(dir).text());
  }

  @Test
  void aFileFarTooLongForAnIdIsNamedWithItsSize() throws Exception {
    Files.write(file(), new byte[65]);

    UncheckedIOException e =
        assertThrows(UncheckedIOException.class, () -> StorageId.loadOrCreate(dir));

    assertTrue(
        e.getMessage().contains(file() + " is 65 bytes long, at most 64 expected"), e.getMessage());
  }

  @Test
  void controlCharactersAreNotEchoed() throws Exception {
    Files.write(file(), new byte[] {'a', 0x1b, '[', '2', 'J', 'b'});

    UncheckedIOException e =
        assertThrows(UncheckedIOException.class, () -> StorageId.loadOrCreate(dir));

    assertTrue(e.getMessage().contains("holds 'a?[2Jb'"), e.getMessage());
  }

  @Test
  void anUnreadableFileFailsTheStartNamingIt() throws Exception {
    // A directory where the file should be: reading it fails on every platform and user.
    Files.createDirectories(file());

    UncheckedIOException e =
        assertThrows(UncheckedIOException.class, () -> StorageId.loadOrCreate(dir));

    assertTrue(e.getMessage().contains("storage id " + file()), e.getMessage());
    assertTrue(Files.isDirectory(file()), "left as it was");
  }
}
