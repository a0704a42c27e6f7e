package dev.sluice.log;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

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
 * #MAX_BYTES}.
 *
 * <p>Thread-safety: every method synchronises on this object; the buffers handed out are views of
 * buffers nobody writes after {@link #add} (not read-only views: those would hide the array a
 * reader wraps without a copy), which readers must not write either.
 */
final class RecentBatches {
  /** Bytes of batches kept per partition at most. */
  static final long MAX_BYTES = 1L << 20;

  private record Entry(long baseOffset, long lastOffset, ByteBuffer batch) {}

  private final long maxBytes;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long bytes;

  RecentBatches(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /**
   * Keeps the stamped batch of offsets {@code baseOffset..lastOffset}, whose bytes are {@code
   * batch}'s remaining ones; the caller writes to the buffer no more.
   */
  synchronized void add(long baseOffset, long lastOffset, ByteBuffer batch) {
    Entry newest = entries.peekLast();
    if (newest != null && newest.lastOffset() + 1 != baseOffset) {
      clear();
    }
    if (batch.remaining() > maxBytes) {
      clear(); // the next entry would not follow the newest: none can be kept until then
      return;
    }
    entries.addLast(new Entry(baseOffset, lastOffset, batch.duplicate()));
    bytes += batch.remaining();
    while (bytes > maxBytes) {
      bytes -= entries.removeFirst().batch().remaining();
    }
  }

  /** Drops the batches that end below {@code offset} (the high watermark moved there). */
  synchronized void dropBelow(long offset) {
    while (!entries.isEmpty() && entries.peekFirst().lastOffset() < offset) {
      bytes -= entries.removeFirst().batch().remaining();
    }
  }

  synchronized void clear() {
    entries.clear();
    bytes = 0;
  }

  /**
   * The kept batches from the one starting at {@code offset}, as many whole ones as fit {@code
   * maxBytes} and end below {@code logEnd}; empty if no kept batch starts there or the first alone
   * exceeds {@code maxBytes}.
   */
  synchronized Optional<BatchRun> read(long offset, long maxBytes, long logEnd) {
    if (entries.isEmpty()
        || offset < entries.peekFirst().baseOffset()
        || offset > entries.peekLast().lastOffset()) {
      return Optional.empty();
    }
    List<ByteBuffer> run = new ArrayList<>();
    long size = 0;
    long last = -1;
    boolean started = false;
    for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (!started) {
        if (e.baseOffset() != offset) {
          if (e.baseOffset() > offset) {
            return Optional.empty(); // offset falls inside a batch
          }
          continue;
        }
        started = true;
      }
      int length = e.batch().remaining();
      if (e.lastOffset() >= logEnd || size + length > maxBytes) {
        break;
      }
      run.add(e.batch().duplicate());
      size += length;
      last = e.lastOffset();
    }
    return run.isEmpty() ? Optional.empty() : Optional.of(new BatchRun(offset, last, run, size));
  }
}
