package dev.sluice.log;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The batches a leader appended from memory that its in-sync followers may still have to fetch: the
 * log's newest batches above the high watermark, as written (stamped), at most {@link #MAX_BYTES}
 * of them per partition. A leader sends them to its followers from here instead of reading back
 * from the segment files what it wrote a moment ago, as Redpanda's batch cache serves recent
 * batches; a follower further behind, and every catch-up, reads the files.
 *
 * <p>Invariants: the entries are consecutive batches of the log (each starts where the previous one
 * ended); an append that does not follow the newest entry (one written from a file, a follower's
 * append, or a batch over the limit in between) empties it first. A read returns only whole
 * entries, from the one starting exactly at the requested offset. Entries below the high watermark
 * are dropped as it moves ({@link #dropBelow}), the oldest are dropped when the bytes exceed {@link
 * #MAX_BYTES}, and truncation or close drops them all: so an idle partition, or one whose followers
 * all confirmed its batches, holds nothing, and memory per partition never exceeds {@link
 * #MAX_BYTES}. Every byte kept is also taken from a {@link RecentBatchBudget} the logs of a node
 * share, and given back when dropped; a batch the budget cannot take is not kept.
 *
 * <p>Thread-safety: every method synchronises on this object; the buffers handed out are views of
 * buffers nobody writes after {@link #add} (not read-only views: those would hide the array a
 * reader wraps without a copy), which readers must not write either.
 */
final class RecentBatches {
  /** Bytes of batches kept per partition at most. */
  static final long MAX_BYTES = 1L << 20;

  private final long maxBytes;
  private final RecentBatchBudget budget;
  private final ArrayDeque<RecentBatch> entries = new ArrayDeque<>();
  private long bytes;

  /**
   * @param maxBytes the most this log keeps
   * @param budget what it shares with other logs; every byte kept is taken from it
   */
  RecentBatches(long maxBytes, RecentBatchBudget budget) {
    this.maxBytes = maxBytes;
    this.budget = budget;
  }

  /**
   * Keeps the stamped batch of offsets {@code baseOffset..lastOffset}, whose bytes are {@code
   * batch}'s remaining ones; the caller writes to the buffer no more.
   */
  synchronized void add(long baseOffset, long lastOffset, ByteBuffer batch) {
    RecentBatch newest = entries.peekLast();
    if (newest != null && newest.lastOffset() + 1 != baseOffset) {
      clear();
    }
    int size = batch.remaining();
    if (size > maxBytes) {
      clear(); // the next entry would not follow the newest: none can be kept until then
      return;
    }
    while (bytes + size > maxBytes) {
      dropOldest();
    }
    if (!budget.tryTake(size)) {
      return; // not kept; the next batch does not follow the newest kept one, so it starts afresh
    }
    entries.addLast(new RecentBatch(baseOffset, lastOffset, batch.duplicate()));
    bytes += size;
  }

  private void dropOldest() {
    int size = entries.removeFirst().bytes().remaining();
    bytes -= size;
    budget.giveBack(size);
  }

  /** Drops the batches that end below {@code offset} (the high watermark moved there). */
  synchronized void dropBelow(long offset) {
    while (!entries.isEmpty() && entries.peekFirst().lastOffset() < offset) {
      dropOldest();
    }
  }

  synchronized void clear() {
    entries.clear();
    budget.giveBack(bytes);
    bytes = 0;
  }

  /**
   * The kept batches from the one starting at {@code offset}, as many whole ones as fit {@code
   * maxBytes} and end below {@code logEnd}; none if no kept batch starts there or the first alone
   * exceeds {@code maxBytes}.
   */
  synchronized List<RecentBatch> read(long offset, long maxBytes, long logEnd) {
    List<RecentBatch> run = new ArrayList<>();
    long size = 0;
    for (RecentBatch e : entries) {
      if (run.isEmpty() && e.baseOffset() != offset) {
        if (e.baseOffset() > offset) {
          break; // below the oldest kept, or inside a batch
        }
        continue;
      }
      int length = e.bytes().remaining();
      if (e.lastOffset() >= logEnd || size + length > maxBytes) {
        break;
      }
      run.add(new RecentBatch(e.baseOffset(), e.lastOffset(), e.bytes().duplicate()));
      size += length;
    }
    return run;
  }
}
