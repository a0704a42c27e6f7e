package dev.sluice.log;

import static dev.sluice.log.testing.LogTestSupport.clock;
import static dev.sluice.log.testing.LogTestSupport.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.testing.Conditions;
import dev.sluice.log.testing.LogTestSupport;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PartitionLog#awaitHighWatermarkAbove}: woken by the moves that pass it, never lost. */
class PartitionLogHighWatermarkWaitTest {
  @TempDir Path root;

  @Test
  void completesAtOnceWhenTheHighWatermarkIsAlreadyAbove() throws IOException {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      LogTestSupport.appendBatches(log, 5, 100);
      log.updateHighWatermark(5);
      CompletableFuture<Long> f = log.awaitHighWatermarkAbove(4);
      assertEquals(5L, f.getNow(-1L));
      assertEquals(0, log.highWatermarkWaiterCount(), "a completed waiter is forgotten");
    }
  }

  @Test
  void aMoveCompletesExactlyTheWaitersItPassed() throws IOException {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      LogTestSupport.appendBatches(log, 10, 100);
      log.updateHighWatermark(2);
      CompletableFuture<Long> atTwo = log.awaitHighWatermarkAbove(2);
      CompletableFuture<Long> atFive = log.awaitHighWatermarkAbove(5);
      CompletableFuture<Long> atFiveAgain = log.awaitHighWatermarkAbove(5);
      assertFalse(atTwo.isDone());

      log.updateHighWatermark(2);
      assertFalse(atTwo.isDone(), "a move that changes nothing wakes nobody");

      log.updateHighWatermark(5);
      assertEquals(5L, atTwo.getNow(-1L));
      assertFalse(atFive.isDone(), "5 is not above 5");

      log.updateHighWatermark(9);
      assertEquals(9L, atFive.getNow(-1L));
      assertEquals(9L, atFiveAgain.getNow(-1L));
      assertEquals(0, log.highWatermarkWaiterCount());
    }
  }

  @Test
  void aTimedOutOrCancelledWaiterIsForgotten() throws Exception {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      CompletableFuture<Long> cancelled = log.awaitHighWatermarkAbove(0);
      CompletableFuture<Long> timedOut = log.awaitHighWatermarkAbove(0);
      assertEquals(2, log.highWatermarkWaiterCount());
      cancelled.cancel(false);
      // What orTimeout does when its time is up, without racing a timer against the count above.
      timedOut.completeExceptionally(new TimeoutException("no move of the high watermark"));
      assertTrue(timedOut.handle((hw, failure) -> failure != null).get());
      // The waiter is forgotten by a completion callback of its own, which may run just after
      // the callbacks of the caller.
      Conditions.await(
          () -> log.highWatermarkWaiterCount() == 0, Duration.ofSeconds(10), "waiters forgotten");
    }
  }

  @Test
  void truncationBelowTheHighWatermarkWakesEveryWaiterWithTheLoweredValue() throws IOException {
    try (PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock())) {
      LogTestSupport.appendBatches(log, 10, 100);
      log.updateHighWatermark(8);
      CompletableFuture<Long> waiting = log.awaitHighWatermarkAbove(8);

      log.truncateTo(9);
      assertFalse(waiting.isDone(), "a cut above the high watermark leaves waiters be");

      log.truncateTo(6);
      assertEquals(6L, waiting.getNow(-1L));

      CompletableFuture<Long> afterReset = log.awaitHighWatermarkAbove(6);
      log.truncateFullyAndStartAt(20);
      assertEquals(20L, afterReset.getNow(-1L));
    }
  }

  @Test
  void closeWakesEveryWaiterAndLaterOnesCompleteAtOnce() throws IOException {
    PartitionLog log = PartitionLog.open(root.resolve("p"), settings(), clock());
    CompletableFuture<Long> waiting = log.awaitHighWatermarkAbove(0);
    log.close();
    assertEquals(0L, waiting.getNow(-1L));
    assertEquals(0L, log.awaitHighWatermarkAbove(0).getNow(-1L));
  }
}
