package dev.sluice.log.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.sluice.log.epoch.EpochEntry;
import dev.sluice.log.testing.LogCapture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LeaderEpochCheckpointTest {
  @TempDir Path dir;

  @Test
  void writeThenReadTheDocumentedTextAndNoTempFileLeft() throws IOException {
    LeaderEpochCheckpoint c = new LeaderEpochCheckpoint(dir.resolve("leader-epochs"));
    assertEquals(Optional.empty(), c.read(), "missing file");
    List<EpochEntry> entries =
        List.of(new EpochEntry(0, 0), new EpochEntry(2, 150), new EpochEntry(5, 420));
    c.write(entries);
    assertEquals("0\n3\n0 0\n2 150\n5 420\n", Files.readString(c.file()));
    assertEquals(Optional.of(entries), c.read());
    c.write(List.of());
    assertEquals("0\n0\n", Files.readString(c.file()));
    assertEquals(Optional.of(List.of()), c.read());
    assertFalse(Files.exists(dir.resolve("leader-epochs.tmp")));
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("", 1, "file is empty"),
        Arguments.of("1\n0\n", 1, "version is not 0"),
        Arguments.of("0\n", 2, "entry count missing"),
        Arguments.of("0\nthree\n", 2, "entry count is not a number"),
        Arguments.of("0\n-1\n", 2, "entry count is negative"),
        Arguments.of("0\n2\n1 0\n", 3, "1 entry lines where the count line says 2"),
        Arguments.of("0\n1\n1 0\n2 5\n", 4, "2 entry lines where the count line says 1"),
        Arguments.of("0\n2\n1 0\n2 5", 4, "last line has no newline"),
        Arguments.of("0\n1\n1\n", 3, "expected 'epoch startOffset'"),
        Arguments.of("0\n1\n1  0\n", 3, "expected 'epoch startOffset'"),
        Arguments.of("0\n1\n1 x\n", 3, "two integers"),
        Arguments.of("0\n1\n-2 0\n", 3, "leader epoch -2 is negative"),
        Arguments.of("0\n1\n2 -5\n", 3, "start offset -5 of leader epoch 2 is negative"),
        Arguments.of("0\n2\n3 0\n3 10\n", 4, "epoch is not above the previous epoch 3"),
        Arguments.of("0\n2\n3 10\n4 9\n", 4, "below the previous entry's start offset 10"),
        Arguments.of("\u0000\u00ff\u0013garbage\n", 1, "version is not 0"));
  }

  @ParameterizedTest(name = "{2}")
  @MethodSource("malformed")
  void malformedFileReadsAsMissingAndTheWarningNamesFileAndLine(
      String content, int line, String reason) throws IOException {
    LeaderEpochCheckpoint c = new LeaderEpochCheckpoint(dir.resolve("leader-epochs"));
    Files.writeString(c.file(), content, StandardCharsets.ISO_8859_1);
    try (LogCapture logs = LogCapture.of(LeaderEpochCheckpoint.class)) {
      assertEquals(Optional.empty(), c.read());
      List<String> warnings = logs.messages(Level.WARN);
      assertEquals(1, warnings.size(), warnings.toString());
      String w = warnings.get(0);
      assertTrue(w.startsWith(c.file() + " line " + line + ":"), w);
      assertTrue(w.contains(reason), w);
    }
  }

  @Test
  void oversizedFileIsNotReadIntoMemory() throws IOException {
    LeaderEpochCheckpoint c = new LeaderEpochCheckpoint(dir.resolve("leader-epochs"));
    try (FileChannel ch =
        FileChannel.open(c.file(), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1}), LeaderEpochCheckpoint.MAX_FILE_BYTES);
    }
    try (LogCapture logs = LogCapture.of(LeaderEpochCheckpoint.class)) {
      assertEquals(Optional.empty(), c.read());
      assertTrue(logs.messages(Level.WARN).get(0).contains("exceeds the limit"));
    }
  }
}
