package dev.sluice.it;

import static dev.sluice.format.BatchLayout.BASE_OFFSET_OFFSET;
import static dev.sluice.format.BatchLayout.BATCH_LENGTH_OFFSET;
import static dev.sluice.format.BatchLayout.CRC_OFFSET;
import static dev.sluice.format.BatchLayout.HEADER_BYTES;
import static dev.sluice.format.BatchLayout.LAST_OFFSET_DELTA_OFFSET;
import static dev.sluice.format.BatchLayout.LOG_OVERHEAD;
import static dev.sluice.format.BatchLayout.PARTITION_LEADER_EPOCH_OFFSET;

import dev.sluice.config.StorageSettings;
import dev.sluice.log.FetchResult;
import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.RecordLocation;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Every replica of one partition, opened straight from the nodes' data directories with {@link
 * PartitionLog} once the nodes have stopped: the ground truth of what the cluster stored, with no
 * server code between the test and the bytes.
 *
 * <p>{@link #compare} checks that the replicas are byte-identical below the highest high watermark
 * any of them checkpointed (everything below it was committed, so every replica must hold it, in
 * the same batches); it counts the offsets where they differ and names the first difference.
 *
 * <p>Not thread-safe; open, check and close from one thread, and never while a node runs.
 */
final class ReplicaLogs implements AutoCloseable {
  private final String partitionName;
  private final Map<Integer, PartitionLog> logs;
  private final List<Integer> missing;

  private ReplicaLogs(
      String partitionName, Map<Integer, PartitionLog> logs, List<Integer> missing) {
    this.partitionName = partitionName;
    this.logs = logs;
    this.missing = missing;
  }

  /** Opens the replica of {@code topic-partition} on each of {@code nodes} that has one. */
  static ReplicaLogs open(
      NodeCluster cluster, String topic, int partition, Collection<Integer> nodes)
      throws IOException {
    Map<Integer, Path> dirs = new TreeMap<>();
    Map<Integer, StorageSettings> settings = new HashMap<>();
    for (int node : nodes) {
      if (cluster.isRunning(node)) {
        throw new IllegalStateException(
            "node " + node + " is running: its logs cannot be read from the test");
      }
      dirs.put(node, cluster.replicaDir(node, topic, partition));
      settings.put(node, cluster.storageSettings(node));
    }
    return open(topic + "-" + partition, dirs, settings::get);
  }

  /**
   * Opens each replica directory of {@code dirs} (node to directory) that exists; the others are
   * {@link #missing}.
   */
  static ReplicaLogs open(
      String partitionName, Map<Integer, Path> dirs, Function<Integer, StorageSettings> settings)
      throws IOException {
    Map<Integer, PartitionLog> logs = new TreeMap<>();
    List<Integer> missing = new ArrayList<>();
    try {
      for (Map.Entry<Integer, Path> e : new TreeMap<>(dirs).entrySet()) {
        if (!Files.isDirectory(e.getValue())) {
          missing.add(e.getKey());
          continue;
        }
        logs.put(
            e.getKey(),
            PartitionLog.open(e.getValue(), settings.apply(e.getKey()), Clock.systemUTC()));
      }
    } catch (IOException | RuntimeException e) {
      for (PartitionLog log : logs.values()) {
        log.close();
      }
      throw e;
    }
    return new ReplicaLogs(partitionName, logs, missing);
  }

  Map<Integer, PartitionLog> logs() {
    return logs;
  }

  /** Nodes that should hold the replica but have no directory for it. */
  List<Integer> missing() {
    return missing;
  }

  String partitionName() {
    return partitionName;
  }

  long highestHighWatermark() {
    return logs.values().stream().mapToLong(PartitionLog::highWatermark).max().orElse(0);
  }

  /** The value at {@code offset} on node {@code node}'s replica; empty when it lacks the offset. */
  Optional<byte[]> value(int node, long offset) throws IOException {
    PartitionLog log = logs.get(node);
    if (log == null) {
      return Optional.empty();
    }
    Optional<RecordLocation> at = log.locate(offset);
    if (at.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(at.get().readValue());
  }

  /** Result of {@link #compare}. */
  record Comparison(
      String partition,
      long highWatermark,
      long comparedOffsets,
      long divergedOffsets,
      Optional<String> firstDifference) {

    boolean identical() {
      return divergedOffsets == 0;
    }
  }

  /**
   * Compares the replicas below {@link #highestHighWatermark}: at each offset, every replica must
   * hold it in a batch with the same bytes as every other replica's. A replica that ends below the
   * high watermark, or misses the partition altogether, diverges at every offset it lacks.
   */
  Comparison compare() throws IOException {
    return compare(Set.of());
  }

  /**
   * {@link #compare()}, where the replicas of {@code partial} nodes (nodes that never came back
   * after a fault, so nothing brought them up to date) take part only below their own high
   * watermark: what they committed must agree with the others; what they lack above it is not held
   * against them. The others take part up to the highest high watermark of all.
   */
  Comparison compare(Set<Integer> partial) throws IOException {
    long hw = highestHighWatermark();
    long start = logs.values().stream().mapToLong(PartitionLog::logStartOffset).max().orElse(0);
    if (!missing.isEmpty() && hw > start) {
      return new Comparison(
          partitionName,
          hw,
          hw - start,
          hw - start,
          Optional.of(
              partitionName
                  + ": nodes "
                  + missing
                  + " hold no replica at all, below the high watermark "
                  + hw));
    }
    Map<Integer, Batch> current = new HashMap<>();
    long diverged = 0;
    String first = null;
    long offset = start;
    while (offset < hw) {
      Map<Integer, Batch> at = new TreeMap<>();
      for (Map.Entry<Integer, PartitionLog> e : logs.entrySet()) {
        if (partial.contains(e.getKey()) && offset >= e.getValue().highWatermark()) {
          continue;
        }
        Batch b = current.get(e.getKey());
        if (b == null || b.lastOffset() < offset || b.baseOffset() > offset) {
          b = Batch.containing(e.getValue(), offset).orElse(null);
          current.put(e.getKey(), b);
        }
        at.put(e.getKey(), b);
      }
      Optional<String> difference = difference(at, offset);
      if (difference.isEmpty()) {
        offset = at.values().iterator().next().lastOffset() + 1;
        continue;
      }
      diverged++;
      if (first == null) {
        first = difference.get();
      }
      offset++;
    }
    return new Comparison(
        partitionName, hw, Math.max(0, hw - start), diverged, Optional.ofNullable(first));
  }

  /** Why the batches holding {@code offset} differ between replicas, if they do. */
  private Optional<String> difference(Map<Integer, Batch> at, long offset) throws IOException {
    Batch reference = null;
    boolean same = true;
    for (Batch b : at.values()) {
      if (b == null) {
        same = false;
      } else if (reference == null) {
        reference = b;
      } else if (!Arrays.equals(reference.bytes(), b.bytes())) {
        same = false;
      }
    }
    if (same && reference != null) {
      return Optional.empty();
    }
    StringBuilder s =
        new StringBuilder(partitionName).append(" offset ").append(offset).append(':');
    for (Map.Entry<Integer, Batch> e : at.entrySet()) {
      s.append(" node ").append(e.getKey()).append(' ');
      Batch b = e.getValue();
      if (b == null) {
        s.append("[missing: log ends at ").append(logs.get(e.getKey()).logEndOffset()).append(']');
      } else {
        s.append('[')
            .append(b)
            .append(": ")
            .append(CheckerValues.describe(value(e.getKey(), offset).orElse(null)));
        if (reference != null && b != reference) {
          int byteIndex = Arrays.mismatch(reference.bytes(), b.bytes());
          if (byteIndex >= 0) {
            s.append(", first differing byte ").append(byteIndex).append(" of the batch");
          }
        }
        s.append(']');
      }
    }
    return Optional.of(s.toString());
  }

  /** One whole batch as it sits in a segment file. */
  record Batch(long baseOffset, long lastOffset, int leaderEpoch, int crc, byte[] bytes) {

    /** The batch that holds {@code offset}, read from the segment file. */
    static Optional<Batch> containing(PartitionLog log, long offset) throws IOException {
      if (offset < log.logStartOffset() || offset >= log.logEndOffset()) {
        return Optional.empty();
      }
      FetchResult r = log.read(offset, 1);
      if (r.slices().isEmpty()) {
        return Optional.empty();
      }
      LogSlice slice = r.slices().get(0);
      try (FileChannel ch = FileChannel.open(slice.segmentFile(), StandardOpenOption.READ)) {
        ByteBuffer head = readFully(ch, slice.position(), HEADER_BYTES, slice);
        int total = LOG_OVERHEAD + head.getInt(BATCH_LENGTH_OFFSET);
        ByteBuffer all = readFully(ch, slice.position(), total, slice);
        long base = all.getLong(BASE_OFFSET_OFFSET);
        return Optional.of(
            new Batch(
                base,
                base + all.getInt(LAST_OFFSET_DELTA_OFFSET),
                all.getInt(PARTITION_LEADER_EPOCH_OFFSET),
                all.getInt(CRC_OFFSET),
                all.array()));
      }
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length, LogSlice slice)
        throws IOException {
      ByteBuffer buf = ByteBuffer.allocate(length);
      long pos = position;
      while (buf.hasRemaining()) {
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new EOFException(
              slice.segmentFile() + " ended at " + pos + " inside the batch at " + position);
        }
        pos += n;
      }
      return buf;
    }

    @Override
    public String toString() {
      return "batch "
          + baseOffset
          + ".."
          + lastOffset
          + " epoch "
          + leaderEpoch
          + " crc "
          + Integer.toHexString(crc)
          + " "
          + bytes.length
          + " bytes";
    }
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (PartitionLog log : logs.values()) {
      try {
        log.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
