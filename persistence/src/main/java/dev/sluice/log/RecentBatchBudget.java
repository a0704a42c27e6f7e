package dev.sluice.log;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of recent batches ({@link PartitionLog#recentBatches}) that the logs sharing this
 * budget may keep in memory together: a node gives all its partitions one, so that the leader's
 * in-memory tail stays bounded however many partitions it leads and however long their high
 * watermarks stall (a follower stopped but not yet out of the in-sync set). A batch the budget
 * cannot take is simply not kept: its followers read it from the segment files.
 *
 * <p>Thread-safety: lock-free; shared by every log of a node.
 */
public final class RecentBatchBudget {
  private final long maxBytes;
  private final AtomicLong used = new AtomicLong();

  /** A budget of {@code maxBytes} (0 keeps nothing). */
  public RecentBatchBudget(long maxBytes) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("a recent-batch budget of " + maxBytes + " bytes");
    }
    this.maxBytes = maxBytes;
  }

  /** Takes {@code bytes} if they fit what is left; whether they did. */
  boolean tryTake(long bytes) {
    long now;
    do {
      now = used.get();
      if (now + bytes > maxBytes) {
        return false;
      }
    } while (!used.compareAndSet(now, now + bytes));
    return true;
  }

  /** Gives back {@code bytes} taken before. */
  void giveBack(long bytes) {
    used.addAndGet(-bytes);
  }

  /** Bytes kept now by the logs sharing the budget. */
  public long usedBytes() {
    return used.get();
  }

  public long maxBytes() {
    return maxBytes;
  }
}
