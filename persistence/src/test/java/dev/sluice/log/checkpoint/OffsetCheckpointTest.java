package dev.sluice.log.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OffsetCheckpointTest {
  @TempDir Path dir;

  @Test
  void writeThenReadAndNoTempFileLeft() throws IOException {
    OffsetCheckpoint c = new OffsetCheckpoint(dir.resolve("high-watermark"));
    assertEquals(OptionalLong.empty(), c.read());
    c.write(42);
    c.write(43);
    assertEquals(OptionalLong.of(43), c.read());
    assertEquals("0\n43\n", Files.readString(c.file()));
    assertFalse(Files.exists(dir.resolve("high-watermark.tmp")));
  }

  @Test
  void malformedFileReadsAsMissing() throws IOException {
    OffsetCheckpoint c = new OffsetCheckpoint(dir.resolve("hw"));
    Files.writeString(c.file(), "0\nnot-a-number\n");
    assertEquals(OptionalLong.empty(), c.read());
    Files.writeString(c.file(), "7\n12\n");
    assertEquals(OptionalLong.empty(), c.read());
  }
}
