package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write that reaches a closed log (its replica stopped while the write was on its way) is refused
 * with {@link LogClosedException}, naming the log, and writes nothing: the log reopens with what it
 * held when it closed.
 */
class PartitionLogClosedTest {
  @TempDir Path dir;

  @Test
  void everyKindOfWriteToAClosedLogIsRefusedAndWritesNothing() throws IOException {
    Path logDir = dir.resolve("t-0");
    PartitionLog log = PartitionLog.open(logDir, settings(), clock());
    log.appendRecords(List.of(LogTestSupport.record(0, 10)), 1);
    FetchResult held = log.read(0, 10_000);
    log.close();

    LogClosedException e =
        assertThrows(
            LogClosedException.class,
            () -> log.appendRecords(List.of(LogTestSupport.record(1, 10)), 1));
    assertTrue(e.getMessage().startsWith(logDir + ": refusing to write"), e.getMessage());
    assertTrue(e.getMessage().endsWith("nothing was written"), e.getMessage());
    assertThrows(LogClosedException.class, () -> log.appendBatches(LogTestSupport.bytesOf(held)));
    assertThrows(LogClosedException.class, log::flush);

    try (PartitionLog reopened = PartitionLog.open(logDir, settings(), clock())) {
      assertEquals(1, reopened.logEndOffset());
    }
  }

  @Test
  void aLeaderAppendOfAFencedEpochIsRefusedAndWritesNothingWhileNewerEpochsAndFollowersWrite()
      throws IOException {
    Path logDir = dir.resolve("t-1");
    try (PartitionLog log = PartitionLog.open(logDir, settings(), clock())) {
      log.appendRecords(List.of(LogTestSupport.record(0, 10)), 1);
      log.fenceLeaderEpochsBelow(2);

      FencedLeaderEpochException e =
          assertThrows(
              FencedLeaderEpochException.class,
              () -> log.appendRecords(List.of(LogTestSupport.record(1, 10)), 1));
      assertTrue(e.getMessage().startsWith(logDir + ": refusing a leader append of epoch 1"));
      assertTrue(e.getMessage().endsWith("nothing was written"), e.getMessage());
      assertEquals(1, log.logEndOffset());

      log.fenceLeaderEpochsBelow(1); // never lowered
      assertThrows(
          FencedLeaderEpochException.class,
          () -> log.appendRecords(List.of(LogTestSupport.record(1, 10)), 1));
      assertEquals(1, log.appendRecords(List.of(LogTestSupport.record(1, 10)), 2).baseOffset());

      try (PartitionLog leader = PartitionLog.open(dir.resolve("leader"), settings(), clock())) {
        leader.appendRecords(List.of(LogTestSupport.record(0, 10)), 1);
        try (PartitionLog follower =
            PartitionLog.open(dir.resolve("follower"), settings(), clock())) {
          follower.fenceLeaderEpochsBelow(5);
          follower.appendBatches(LogTestSupport.bytesOf(leader.read(0, 10_000)));
          assertEquals(1, follower.logEndOffset(), "a follower keeps the epochs it receives");
        }
      }
    }
  }
}
