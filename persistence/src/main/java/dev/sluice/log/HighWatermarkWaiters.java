package dev.sluice.log;

import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Futures waiting for a partition's high watermark to pass an offset: what a long-polling consumer
 * waits on instead of polling the log. Kept sorted by offset, so a move of the high watermark
 * completes exactly the waiters it passed.
 *
 * <p>Invariants: a waiter is in the set only while its future is pending (any completion, including
 * a caller's timeout or cancel, removes it). After {@link #close} every waiter is complete and new
 * ones complete at once. A waiter registered concurrently with a move is never missed: it is added
 * before the high watermark is read, and a move writes the high watermark before it walks the set.
 *
 * <p>Thread-safety: thread-safe and lock-free. Futures are completed on the thread that calls
 * {@link #wakeUpTo}, {@link #wakeAll} or {@link #close}; the log calls these after releasing its
 * locks, and callers chain their own work with the {@code ...Async} methods on their executor.
 */
final class HighWatermarkWaiters {
  private record Waiter(long offset, long id, CompletableFuture<Long> future)
      implements Comparable<Waiter> {
    @Override
    public int compareTo(Waiter o) {
      int byOffset = Long.compare(offset, o.offset);
      return byOffset != 0 ? byOffset : Long.compare(id, o.id);
    }
  }

  private final ConcurrentSkipListSet<Waiter> waiters = new ConcurrentSkipListSet<>();
  private final AtomicLong ids = new AtomicLong();
  private final LongSupplier highWatermark;
  private volatile boolean closed;

  HighWatermarkWaiters(LongSupplier highWatermark) {
    this.highWatermark = highWatermark;
  }

  /** A future completed with the high watermark once it is above {@code offset} (see the log). */
  CompletableFuture<Long> await(long offset) {
    CompletableFuture<Long> future = new CompletableFuture<>();
    Waiter w = new Waiter(offset, ids.getAndIncrement(), future);
    waiters.add(w);
    future.whenComplete((hw, failure) -> waiters.remove(w));
    long hw = highWatermark.getAsLong();
    if (hw > offset || closed) {
      future.complete(hw);
    }
    return future;
  }

  /** Completes the waiters for offsets below {@code hw} with {@code hw}. */
  void wakeUpTo(long hw) {
    Iterator<Waiter> passed = waiters.iterator();
    while (passed.hasNext()) {
      Waiter w = passed.next();
      if (w.offset() >= hw) {
        return;
      }
      w.future().complete(hw);
    }
  }

  /** Completes every waiter with the current high watermark, passed or not. */
  void wakeAll() {
    long hw = highWatermark.getAsLong();
    for (Waiter w : waiters) {
      w.future().complete(hw);
    }
  }

  /** Completes every waiter, and from now on every new one at once. */
  void close() {
    closed = true;
    wakeAll();
  }

  /** Waiters still pending (diagnostics and tests). */
  int pending() {
    return waiters.size();
  }
}
