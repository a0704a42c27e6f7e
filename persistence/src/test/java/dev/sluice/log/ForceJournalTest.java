package dev.sluice.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForceJournalTest {

  @TempDir Path dir;

  @Test
  void theLastEntryOfAFileIsHowFarItWasForcedIncludingATruncation() throws Exception {
    ForceJournal journal = new ForceJournal(dir, Duration.ZERO);
    Path a = dir.resolve("00000000000000000000.log");
    Path b = dir.resolve("00000000000000000100.log");
    try (FileChannel ca = open(a);
        FileChannel cb = open(b)) {
      write(ca, 100);
      journal.force(ca, a, 100);
      write(ca, 50);
      // The length when the force started counts, not the size the caller asked for.
      journal.force(ca, a, 120);
      assertEquals(Map.of("00000000000000000000.log", 150L), ForceJournal.forcedSizes(dir));
      write(cb, 10);
      journal.force(cb, b, 10);
      ca.truncate(130);
      journal.force(ca, a, 130);
      write(ca, 5); // written, never forced
    }
    assertEquals(
        Map.of("00000000000000000000.log", 130L, "00000000000000000100.log", 10L),
        ForceJournal.forcedSizes(dir));
  }

  @Test
  void aTornLastLineIsIgnoredAndNoJournalMeansNothingForced() throws Exception {
    assertEquals(Map.of(), ForceJournal.forcedSizes(dir));
    Files.writeString(
        dir.resolve(ForceJournal.FILE_NAME),
        "00000000000000000000.log\t4096\n00000000000000000000.log\t81",
        StandardCharsets.UTF_8);
    assertEquals(Map.of("00000000000000000000.log", 4096L), ForceJournal.forcedSizes(dir));
  }

  @Test
  void offUnlessTheJvmPropertySaysOn() {
    String before = System.getProperty(ForceJournal.PROPERTY);
    try {
      System.clearProperty(ForceJournal.PROPERTY);
      assertSame(Syncer.FDATASYNC, ForceJournal.forLog(dir));
      System.setProperty(ForceJournal.PROPERTY, "on");
      assertTrue(ForceJournal.forLog(dir) instanceof ForceJournal);
    } finally {
      if (before == null) {
        System.clearProperty(ForceJournal.PROPERTY);
      } else {
        System.setProperty(ForceJournal.PROPERTY, before);
      }
    }
  }

  private static FileChannel open(Path file) throws Exception {
    return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
  }

  private static void write(FileChannel channel, int bytes) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(bytes);
    channel.position(channel.size());
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }
}
