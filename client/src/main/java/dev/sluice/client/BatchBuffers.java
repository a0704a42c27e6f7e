package dev.sluice.client;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The producer's request bodies, reused: buffers of {@code batchBytes} that an uncompressed batch
 * is encoded into, given back once the leader has acknowledged the batch, so that a producer
 * sending full batches allocates (and zeroes, and collects) no new 256 KiB array per request. The
 * idea of Kafka's producer {@code BufferPool}, for encoded batches only: records still wait in the
 * accumulator as they were sent.
 *
 * <p>A batch larger than {@code batchBytes} (one record bigger than the batch size) gets a buffer
 * of its own that is never pooled. A buffer comes back only after a 2xx answer, when the server has
 * read the whole body; after a failure the batch keeps its buffer for the retry, and a batch that
 * fails for good leaves it to the garbage collector, since its request may still be in the HTTP
 * client's hands. The pool keeps at most {@code maxIdle} buffers; more given back are dropped.
 *
 * <p>Thread-safety: safe for the producer's sender threads; a short lock around the free list.
 */
final class BatchBuffers {
  private final int batchBytes;
  private final int maxIdle;
  private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();
  private long allocated;
  private long reused;

  /** A pool of buffers of {@code batchBytes}, keeping at most {@code maxIdle} unused ones. */
  BatchBuffers(int batchBytes, int maxIdle) {
    if (batchBytes < 1 || maxIdle < 0) {
      throw new IllegalArgumentException(
          "batch buffers of " + batchBytes + " bytes, at most " + maxIdle + " idle");
    }
    this.batchBytes = batchBytes;
    this.maxIdle = maxIdle;
  }

  /**
   * A heap buffer of at least {@code size} bytes, position 0: a pooled one of {@code batchBytes}
   * when the size fits, otherwise one of exactly {@code size} bytes.
   */
  ByteBuffer take(int size) {
    if (size > batchBytes) {
      return ByteBuffer.allocate(size);
    }
    synchronized (this) {
      ByteBuffer b = idle.pollFirst();
      if (b != null) {
        reused++;
        return b.clear();
      }
      allocated++;
    }
    return ByteBuffer.allocate(batchBytes);
  }

  /**
   * Takes {@code buffer} back for another batch, if it is one of the pool's size and the pool has
   * room; the caller no longer uses it or any view of it.
   */
  void giveBack(ByteBuffer buffer) {
    if (buffer == null || !buffer.hasArray() || buffer.capacity() != batchBytes) {
      return;
    }
    synchronized (this) {
      if (idle.size() < maxIdle) {
        idle.addFirst(buffer);
      }
    }
  }

  /** Buffers allocated for the pool so far (not counting larger ones of their own). */
  synchronized long allocated() {
    return allocated;
  }

  /** Times a buffer was taken from the pool instead of allocated. */
  synchronized long reused() {
    return reused;
  }

  /** Unused buffers now kept. */
  synchronized int idle() {
    return idle.size();
  }

  /** Drops every idle buffer (the producer is closed). */
  synchronized void clear() {
    idle.clear();
  }
}
