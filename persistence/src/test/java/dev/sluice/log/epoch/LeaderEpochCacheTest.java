package dev.sluice.log.epoch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.sluice.log.checkpoint.LeaderEpochCheckpoint;
import dev.sluice.log.testing.LogCapture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LeaderEpochCacheTest {
  private static final int UNDEFINED = EpochEndOffset.UNDEFINED_EPOCH;

  @TempDir Path dir;

  private LeaderEpochCheckpoint checkpoint() {
    return new LeaderEpochCheckpoint(dir.resolve(LeaderEpochCache.FILE_NAME));
  }

  private LeaderEpochCache empty() {
    return new LeaderEpochCache(checkpoint(), List.of());
  }

  /** Epochs 2, 3, 5 and 8 wrote batches from offsets 10, 100, 250 and 400; the log ends at 500. */
  private LeaderEpochCache fourEpochs() throws IOException {
    LeaderEpochCache cache = empty();
    cache.assign(2, 10);
    cache.assign(3, 100);
    cache.assign(5, 250);
    cache.assign(8, 400);
    return cache;
  }

  static Stream<Arguments> lookups() {
    return Stream.of(
        Arguments.of("the latest epoch ends at the log end", 8, 8, 500),
        Arguments.of("an epoch in the middle ends where the next one starts", 3, 3, 250),
        Arguments.of("the first epoch ends where the second starts", 2, 2, 100),
        Arguments.of("an epoch never had, between 5 and 8, answers for 5", 6, 5, 400),
        Arguments.of("an epoch never had, between 3 and 5, answers for 3", 4, 3, 250),
        Arguments.of("an epoch above the latest answers for the latest", 12, 8, 500),
        Arguments.of(
            "an epoch below the first: undefined, up to the first start", 1, UNDEFINED, 10),
        Arguments.of("epoch 0, below the first", 0, UNDEFINED, 10),
        Arguments.of("undefined epoch -1", UNDEFINED, UNDEFINED, 10));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lookups")
  void endOffsetForFollowsKip279(String rule, int asked, int epoch, long endOffset)
      throws IOException {
    assertEquals(new EpochEndOffset(epoch, endOffset), fourEpochs().endOffsetFor(asked, 500));
  }

  @ParameterizedTest(name = "epoch {0}")
  @MethodSource("askedEpochs")
  void emptyHistoryAnswersUndefinedUpToTheLogEnd(int asked) {
    assertEquals(new EpochEndOffset(UNDEFINED, 77), empty().endOffsetFor(asked, 77));
  }

  static Stream<Integer> askedEpochs() {
    return Stream.of(UNDEFINED, 0, 1, 42);
  }

  @Test
  void anEntryAtOrPastTheLogEndBelongsToAnAppendInProgressAndIsIgnored() throws IOException {
    LeaderEpochCache cache = fourEpochs();
    cache.assign(9, 500);
    assertEquals(new EpochEndOffset(8, 500), cache.endOffsetFor(9, 500));
    assertEquals(new EpochEndOffset(8, 500), cache.endOffsetFor(8, 500));
    assertEquals(new EpochEndOffset(9, 501), cache.endOffsetFor(9, 501));
    assertEquals(new EpochEndOffset(8, 500), cache.endOffsetFor(8, 501));
  }

  @Test
  void assignAddsOnlyHigherEpochsAndCheckpointsEachAddition() throws IOException {
    LeaderEpochCache cache = empty();
    assertEquals(UNDEFINED, cache.latestEpoch());
    cache.assign(1, 0);
    cache.assign(1, 5);
    assertEquals(List.of(new EpochEntry(1, 0)), cache.entries());
    cache.assign(4, 9);
    List<EpochEntry> expected = List.of(new EpochEntry(1, 0), new EpochEntry(4, 9));
    assertEquals(expected, cache.entries());
    assertEquals(4, cache.latestEpoch());
    assertEquals(Optional.of(expected), checkpoint().read());
  }

  @Test
  void aBatchWithAnOlderEpochGetsNoEntryAndAWarning() throws IOException {
    LeaderEpochCache cache = fourEpochs();
    try (LogCapture logs = LogCapture.of(LeaderEpochCache.class)) {
      cache.assign(5, 500);
      List<String> warnings = logs.messages(Level.WARN);
      assertEquals(1, warnings.size());
      String w = warnings.get(0);
      assertTrue(w.startsWith(dir.toString() + ":"), w);
      assertTrue(w.contains("offset 500 has leader epoch 5, below the latest epoch 8"), w);
    }
    assertEquals(fourEpochs().entries(), cache.entries());
    assertEquals(8, cache.latestEpoch());
  }

  @Test
  void anEpochCannotStartBelowTheLatestStart() throws IOException {
    LeaderEpochCache cache = fourEpochs();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> cache.assign(9, 399));
    assertTrue(e.getMessage().contains("epoch 9 cannot start at offset 399"), e.getMessage());
    assertEquals(8, cache.latestEpoch());
  }

  static Stream<Arguments> truncationsFromEnd() {
    return Stream.of(
        Arguments.of(501L, List.of(2, 3, 5, 8)),
        Arguments.of(401L, List.of(2, 3, 5, 8)),
        Arguments.of(400L, List.of(2, 3, 5)),
        Arguments.of(251L, List.of(2, 3, 5)),
        Arguments.of(100L, List.of(2)),
        Arguments.of(11L, List.of(2)),
        Arguments.of(10L, List.of()),
        Arguments.of(0L, List.of()));
  }

  @ParameterizedTest(name = "log end {0}")
  @MethodSource("truncationsFromEnd")
  void truncateFromEndRemovesEpochsStartingAtOrPastTheNewEnd(long end, List<Integer> epochs)
      throws IOException {
    LeaderEpochCache cache = fourEpochs();
    cache.truncateFromEnd(end);
    assertEquals(epochs, cache.entries().stream().map(EpochEntry::epoch).toList());
    assertEquals(Optional.of(cache.entries()), checkpoint().read());
  }

  static Stream<Arguments> truncationsFromStart() {
    return Stream.of(
        Arguments.of(
            0L,
            List.of(
                new EpochEntry(2, 10),
                new EpochEntry(3, 100),
                new EpochEntry(5, 250),
                new EpochEntry(8, 400))),
        Arguments.of(
            10L,
            List.of(
                new EpochEntry(2, 10),
                new EpochEntry(3, 100),
                new EpochEntry(5, 250),
                new EpochEntry(8, 400))),
        Arguments.of(
            60L,
            List.of(
                new EpochEntry(2, 60),
                new EpochEntry(3, 100),
                new EpochEntry(5, 250),
                new EpochEntry(8, 400))),
        Arguments.of(
            100L, List.of(new EpochEntry(3, 100), new EpochEntry(5, 250), new EpochEntry(8, 400))),
        Arguments.of(300L, List.of(new EpochEntry(5, 300), new EpochEntry(8, 400))),
        Arguments.of(450L, List.of(new EpochEntry(8, 450))));
  }

  @ParameterizedTest(name = "log start {0}")
  @MethodSource("truncationsFromStart")
  void truncateFromStartKeepsTheEpochHoldingTheNewStart(long start, List<EpochEntry> expected)
      throws IOException {
    LeaderEpochCache cache = fourEpochs();
    cache.truncateFromStart(start);
    assertEquals(expected, cache.entries());
    assertEquals(Optional.of(expected), checkpoint().read());
  }

  @Test
  void clearEmptiesTheHistoryAndTheFile() throws IOException {
    LeaderEpochCache cache = fourEpochs();
    cache.clear();
    assertEquals(List.of(), cache.entries());
    assertEquals(UNDEFINED, cache.latestEpoch());
    assertEquals(Optional.of(List.of()), checkpoint().read());
  }
}
