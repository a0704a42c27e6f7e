package dev.sluice.node.replica;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Produce requests waiting for the high watermark to pass their offset (acks=all). Thread-safe:
 * producers register from HTTP threads, the replica advances from its own.
 */
final class HighWatermarkWaiters {
  private final ConcurrentSkipListMap<Long, CompletableFuture<Long>> waiting =
      new ConcurrentSkipListMap<>();

  /** Completes with {@code offset} once the high watermark is above it. */
  CompletableFuture<Long> await(long offset, long currentHighWatermark) {
    CompletableFuture<Long> f = waiting.computeIfAbsent(offset, o -> new CompletableFuture<>());
    if (currentHighWatermark > offset) {
      complete(currentHighWatermark);
    }
    return f;
  }

  /** Completes every waiter below the new high watermark. */
  void complete(long highWatermark) {
    Map<Long, CompletableFuture<Long>> done = waiting.headMap(highWatermark);
    for (Map.Entry<Long, CompletableFuture<Long>> e : done.entrySet()) {
      if (waiting.remove(e.getKey(), e.getValue())) {
        e.getValue().complete(e.getKey());
      }
    }
  }

  /** Fails every waiter, e.g. when the replica stops leading. */
  void failAll(RuntimeException cause) {
    for (Long offset : waiting.keySet()) {
      CompletableFuture<Long> f = waiting.remove(offset);
      if (f != null) {
        f.completeExceptionally(cause);
      }
    }
  }
}
