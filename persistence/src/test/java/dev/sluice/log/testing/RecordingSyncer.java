package dev.sluice.log.testing;

import dev.sluice.log.Syncer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Syncer} for tests: really forces, and records how many forces completed and how far each
 * file was forced, so a test can simulate a power loss by cutting every file back to what a
 * completed force covered ({@link #cutToForcedSizes}). It can hold forces until released ({@link
 * #block}, {@link #release}), run a check before each force ({@link #beforeEachForce}), and fail
 * forces ({@link #failFromNowOn}).
 *
 * <p>Thread-safe: forces may come from several threads at once.
 */
public final class RecordingSyncer implements Syncer {

  /** Runs before a force, on the forcing thread. */
  @FunctionalInterface
  public interface Hook {
    void run(Path file, long size) throws Exception;
  }

  private final Map<Path, Long> forced = new ConcurrentHashMap<>();
  private final AtomicInteger completed = new AtomicInteger();
  private final Map<Path, Integer> perFile = new ConcurrentHashMap<>();
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicReference<CountDownLatch> gate = new AtomicReference<>();
  private volatile Hook before = (file, size) -> {};
  private volatile IOException failure;

  @Override
  public void force(FileChannel channel, Path file, long size) throws IOException {
    CountDownLatch g = gate.get();
    if (g != null) {
      waiting.incrementAndGet();
      try {
        if (!g.await(2, TimeUnit.MINUTES)) {
          throw new IllegalStateException("a test blocked forces and never released them");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while held", e);
      } finally {
        waiting.decrementAndGet();
      }
    }
    try {
      before.run(file, size);
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    IOException f = failure;
    if (f != null) {
      throw f;
    }
    // What the log asked for is the size at the time it asked; force, then record.
    channel.force(false);
    forced.merge(file.toAbsolutePath(), size, Math::max);
    perFile.merge(file.toAbsolutePath(), 1, Integer::sum);
    completed.incrementAndGet();
  }

  /** From now on forces wait until {@link #release}. */
  public void block() {
    gate.set(new CountDownLatch(1));
  }

  /** Lets every held force (and later ones) proceed. */
  public void release() {
    CountDownLatch g = gate.getAndSet(null);
    if (g != null) {
      g.countDown();
    }
  }

  /** Forces currently held by {@link #block}. */
  public int waiting() {
    return waiting.get();
  }

  public void beforeEachForce(Hook hook) {
    this.before = hook;
  }

  /** Every later force throws {@code e} (a disk that lost pages). */
  public void failFromNowOn(IOException e) {
    this.failure = e;
  }

  /** Forces that completed. */
  public int forces() {
    return completed.get();
  }

  /** Forces of {@code file} that completed. */
  public int forces(Path file) {
    return perFile.getOrDefault(file.toAbsolutePath(), 0);
  }

  /** How far {@code file} was forced by a completed force; 0 if never. */
  public long forcedSize(Path file) {
    return forced.getOrDefault(file.toAbsolutePath(), 0L);
  }

  /**
   * Simulates a power loss on a copy of a log directory: every file of {@code original} that this
   * syncer forced is cut, in {@code copy}, to the size its last completed force covered (bytes past
   * it are lost), and every segment file it never forced is cut to zero.
   */
  public void cutToForcedSizes(Path original, Path copy, String suffix) throws IOException {
    try (var files = Files.list(copy)) {
      for (Path f : files.filter(p -> p.toString().endsWith(suffix)).toList()) {
        long keep = forcedSize(original.resolve(f.getFileName()));
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
          if (ch.size() > keep) {
            ch.truncate(keep);
          }
        }
      }
    }
  }
}
