package dev.sluice.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncerTest {
  @TempDir Path dir;

  @Test
  void aTimedSyncerForcesThroughItsSyncerAndGivesEachForcesDuration() throws IOException {
    Path file = dir.resolve("00000000000000000000.log");
    List<Long> forcedSizes = new ArrayList<>();
    List<Long> durations = new ArrayList<>();
    Syncer inner =
        (channel, f, size) -> {
          channel.force(false);
          forcedSizes.add(size);
        };
    Syncer timed = inner.timed(durations::add);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[100]));
      timed.force(ch, file, 100);
      ch.write(ByteBuffer.wrap(new byte[20]));
      timed.force(ch, file, 120);
    }
    assertEquals(List.of(100L, 120L), forcedSizes, "the inner syncer forced, with the sizes asked");
    assertEquals(2, durations.size());
    assertTrue(durations.stream().allMatch(d -> d >= 0), durations::toString);
  }

  @Test
  void aFailedForceIsNotTimedAndItsFailureReachesTheCaller() throws IOException {
    Path file = dir.resolve("00000000000000000000.log");
    IOException disk = new IOException("Input/output error");
    List<Long> durations = new ArrayList<>();
    Syncer failing =
        (channel, f, size) -> {
          throw disk;
        };
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      IOException thrown =
          assertThrows(IOException.class, () -> failing.timed(durations::add).force(ch, file, 0));
      assertSame(disk, thrown);
    }
    assertEquals(List.of(), durations);
  }
}
