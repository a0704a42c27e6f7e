package dev.sluice.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * Makes the bytes of a segment file durable. Every data force of a {@link PartitionLog} goes
 * through its syncer, so a test can slow forces down, record how far each one reached (and cut the
 * files back to that after a simulated power loss), or make one fail.
 *
 * <p>Contract: when {@link #force} returns normally, the first {@code size} bytes of {@code file}
 * and the file's length are on stable storage. A syncer that throws leaves the log failed: after a
 * failed fsync the kernel may have dropped the dirty pages, so a retry would prove nothing.
 *
 * <p>Thread-safety: called from the flushing thread and, at segment rolls, from the appending
 * thread, possibly at the same time for different files; implementations must allow that.
 */
@FunctionalInterface
public interface Syncer {

  /** fdatasync: the data and the file size, not the other metadata. */
  Syncer FDATASYNC = (channel, file, size) -> channel.force(false);

  /**
   * Forces {@code channel} (open on {@code file}) at least up to {@code size} bytes, the segment's
   * size when the force was asked for.
   */
  void force(FileChannel channel, Path file, long size) throws IOException;

  /**
   * This syncer, with the duration of each force that returned normally given to {@code nanos} (in
   * nanoseconds, on the forcing thread; it must not block). A failed force is not timed: it fails
   * the log, which says so.
   */
  default Syncer timed(LongConsumer nanos) {
    return (channel, file, size) -> {
      long start = System.nanoTime();
      force(channel, file, size);
      nanos.accept(System.nanoTime() - start);
    };
  }
}
