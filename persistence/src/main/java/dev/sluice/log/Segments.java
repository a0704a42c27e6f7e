package dev.sluice.log;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLimit;
import dev.sluice.log.checkpoint.OffsetCheckpoint;
import dev.sluice.log.record.FileRecordReader;
import dev.sluice.log.record.StoredRecord;
import dev.sluice.log.retention.RetentionPlan;
import dev.sluice.log.segment.BatchLocation;
import dev.sluice.log.segment.LogSegment;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segments of one partition log by base offset, with the lock that keeps readers off files
 * being cut or deleted.
 *
 * <p>Locking invariant: a segment's file is read only under the structure lock's read side ({@link
 * #read}), and a segment is cut, deleted or closed only under its write side ({@link
 * #restructure}), so a reader never reads a file that is being cut or deleted. Appends and rolls
 * take neither side: a roll only adds a segment after the last one to a concurrent map, and a
 * segment publishes appended bytes through its own size ({@link LogSegment}), so a long append
 * never blocks a reader. The segments are contiguous: each starts at the previous one's next
 * offset, and the last one is the active one.
 *
 * <p>Thread-safety: rolls and structure changes come from the log's single writer ({@link
 * PartitionLog} serialises them); lookups and reads from any thread.
 */
final class Segments {
  /** The log's own logger: a roll is part of the log's story. */
  private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);

  private final Path dir;
  private final long segmentBytes;
  private final int indexIntervalBytes;
  private final BatchLimit storedBatchLimit;
  private final ConcurrentSkipListMap<Long, LogSegment> byBase = new ConcurrentSkipListMap<>();
  private final ReentrantReadWriteLock structureLock = new ReentrantReadWriteLock();
  private final Syncer syncer;
  private final Syncer rawSyncer;

  /** The first failed force; set once, never cleared (see {@link LogFailedException}). */
  private volatile LogFailedException failure;

  Segments(Path dir, StorageSettings settings, Syncer syncer) {
    this.dir = dir;
    this.syncer = this::forceOrFail;
    this.rawSyncer = syncer;
    this.segmentBytes = settings.segmentBytes();
    this.indexIntervalBytes = settings.indexIntervalBytes();
    this.storedBatchLimit = BatchLimit.segmentBytes(settings.segmentBytes());
  }

  /** A read of the segments; {@code E} lets a read that does no IO throw nothing checked. */
  interface Read<T, E extends Exception> {
    T run() throws E;
  }

  /** A change to the segments' files. */
  interface Change {
    void run() throws IOException;
  }

  /** Runs {@code read} with the segments' files safe from truncation and deletion. */
  <T, E extends Exception> T read(Read<T, E> read) throws E {
    structureLock.readLock().lock();
    try {
      return read.run();
    } finally {
      structureLock.readLock().unlock();
    }
  }

  /** Runs {@code change}, which cuts, deletes or closes segments, with every reader kept out. */
  void restructure(Change change) throws IOException {
    structureLock.writeLock().lock();
    try {
      change.run();
    } finally {
      structureLock.writeLock().unlock();
    }
  }

  /** The largest batch a segment may hold: any stored batch fits a segment. */
  BatchLimit storedBatchLimit() {
    return storedBatchLimit;
  }

  // ---- building and rolling (the single writer) ----

  /** Opens an existing segment during recovery; see {@link LogSegment#open}. */
  LogSegment open(long baseOffset, boolean verifyCrc, boolean fullScan) throws IOException {
    LogSegment segment =
        LogSegment.open(dir, baseOffset, indexIntervalBytes, storedBatchLimit, verifyCrc, fullScan);
    byBase.put(baseOffset, segment);
    return segment;
  }

  /** Creates an empty segment at {@code baseOffset} after the last one. */
  LogSegment create(long baseOffset) throws IOException {
    LogSegment segment = LogSegment.create(dir, baseOffset, indexIntervalBytes, storedBatchLimit);
    OffsetCheckpoint.forceDirectory(dir);
    byBase.put(baseOffset, segment);
    return segment;
  }

  /**
   * Every data force of the log goes through it: the injected syncer, and a failure of it fails the
   * log.
   */
  Syncer syncer() {
    return syncer;
  }

  private void forceOrFail(FileChannel channel, Path file, long size) throws IOException {
    LogFailedException failed = failure;
    if (failed != null) {
      throw failed; // a force after a failed one would prove nothing
    }
    try {
      rawSyncer.force(channel, file, size);
    } catch (IOException | RuntimeException e) {
      LogFailedException f =
          new LogFailedException(
              "fsync of " + file + " failed (forcing its first " + size + " bytes): " + e, e);
      synchronized (this) {
        if (failure == null) {
          failure = f;
          log.error("{}: {}; the log refuses appends until it is reopened", dir, f.getMessage());
        }
      }
      throw f;
    }
  }

  /** The force failure that failed the log, or null while it is healthy. */
  LogFailedException failure() {
    return failure;
  }

  /**
   * Forces every segment with bytes written since its last force (usually only the active one; the
   * one before it too if a roll's own force is still running). Callers hold {@link #read}, so no
   * file is cut, deleted or closed under the force.
   */
  void forceUnforced() throws IOException {
    for (LogSegment s : byBase.values()) {
      if (s.hasUnforcedBytes()) {
        s.forceData(syncer);
      }
    }
  }

  LogSegment active() {
    return byBase.lastEntry().getValue();
  }

  /**
   * The segment {@code header}'s batch goes into: the active one, or a new one if the batch would
   * make the active one larger than {@code segment-bytes} or its offsets would not fit the index's
   * 32-bit deltas. An empty segment takes any batch.
   */
  LogSegment activeFor(BatchHeader header) throws IOException {
    LogSegment active = active();
    boolean full = active.size() + header.totalSize() > segmentBytes;
    boolean offsetsOverflow = header.lastOffset() - active.baseOffset() > Integer.MAX_VALUE;
    if (!active.isEmpty() && (full || offsetsOverflow)) {
      // Older segments are trusted by recovery, so they must be on disk before we move on.
      active.flush(syncer);
      active = create(active.nextOffset());
      log.debug("{}: rolled to a new segment at offset {}", dir, active.baseOffset());
    }
    return active;
  }

  // ---- lookups (any thread) ----

  /** The segments by base offset, read-only, for recovering the leader-epoch history. */
  NavigableMap<Long, LogSegment> view() {
    return Collections.unmodifiableNavigableMap(byBase);
  }

  /** The segments oldest first (a snapshot). */
  List<LogSegment> all() {
    return new ArrayList<>(byBase.values());
  }

  long firstBaseOffset() {
    return byBase.firstKey();
  }

  int count() {
    return byBase.size();
  }

  long sizeInBytes() {
    long total = 0;
    for (LogSegment s : byBase.values()) {
      total += s.size();
    }
    return total;
  }

  // ---- reads (callers hold read()) ----

  /** The record at {@code offset}: key and headers decoded, the value located. */
  Optional<RecordLocation> locate(long offset) throws IOException {
    Map.Entry<Long, LogSegment> entry = byBase.floorEntry(offset);
    BatchLocation batch = entry == null ? null : entry.getValue().find(offset);
    if (batch == null) {
      return Optional.empty();
    }
    LogSegment segment = entry.getValue();
    BatchHeader h = batch.header();
    StoredRecord r;
    try (FileRecordReader reader =
        new FileRecordReader(
            segment.channel(), segment.logFile(), batch.position(), h, storedBatchLimit())) {
      r = reader.seek(offset);
    }
    return Optional.of(
        new RecordLocation(
            offset,
            r.key(),
            r.headers(),
            r.file(),
            r.valuePosition(),
            r.valueLength(),
            h.baseOffset(),
            h.partitionLeaderEpoch(),
            r.timestamp(),
            r.compressed()));
  }

  /**
   * Whole batches from the one holding {@code offset}, one slice per batch, packed while they fit
   * {@code maxBytes} and always at least one; batches at or above {@code endOffset} are left out.
   * Null if no segment starts at or below {@code offset}.
   */
  List<LogSlice> readBatches(long offset, long maxBytes, long endOffset) throws IOException {
    Map.Entry<Long, LogSegment> entry = byBase.floorEntry(offset);
    if (entry == null) {
      return null;
    }
    List<LogSlice> slices = new ArrayList<>();
    long next = offset;
    long budget = maxBytes;
    while (entry != null && next < endOffset) {
      LogSegment segment = entry.getValue();
      List<LogSlice> batches = segment.read(next, budget, slices.isEmpty(), endOffset);
      if (!batches.isEmpty()) {
        slices.addAll(batches);
        LogSlice first = batches.get(0);
        LogSlice last = batches.get(batches.size() - 1);
        budget -= last.position() + last.length() - first.position();
        next = last.lastOffset() + 1;
        boolean stoppedInside = last.position() + last.length() < segment.size();
        if (budget <= 0 || stoppedInside) {
          break;
        }
      } else if (segment.nextOffset() > next) {
        break; // the next batch does not fit the budget
      }
      entry = byBase.higherEntry(entry.getKey());
    }
    return slices;
  }

  /** Consecutive batches of one segment file joined into one slice each. */
  static List<LogSlice> perSegment(List<LogSlice> batches) {
    List<LogSlice> joined = new ArrayList<>();
    for (LogSlice b : batches) {
      LogSlice run = joined.isEmpty() ? null : joined.get(joined.size() - 1);
      if (run != null && run.region().isFollowedBy(b.region())) {
        joined.set(
            joined.size() - 1,
            new LogSlice(
                run.segmentFile(),
                run.position(),
                run.length() + b.length(),
                run.baseOffset(),
                b.lastOffset()));
      } else {
        joined.add(b);
      }
    }
    return joined;
  }

  /**
   * Calls {@code action} with the header of every batch whose base offset is at least {@code from},
   * oldest first, reading headers only ({@link LogSegment#forEachBatchHeader}): how state derived
   * from the headers is rebuilt or brought up to date from a snapshot. The segment holding {@code
   * from} is read from its start, the earlier ones not at all.
   */
  void forEachBatchHeaderFrom(long from, Consumer<BatchHeader> action) throws IOException {
    Long start = byBase.floorKey(from);
    for (LogSegment s : (start == null ? byBase : byBase.tailMap(start, true)).values()) {
      s.forEachBatchHeader(
          h -> {
            if (h.baseOffset() >= from) {
              action.accept(h);
            }
          });
    }
  }

  /**
   * Bytes from the batch holding {@code offset} to the end: one index lookup in one segment plus
   * the sizes of the later ones. The whole log if no segment starts at or below {@code offset}.
   */
  long bytesFrom(long offset) throws IOException {
    Map.Entry<Long, LogSegment> entry = byBase.floorEntry(offset);
    if (entry == null) {
      return sizeInBytes();
    }
    BatchLocation at = entry.getValue().find(offset);
    long total = at == null ? 0 : entry.getValue().size() - at.position();
    for (LogSegment later : byBase.tailMap(entry.getKey(), false).values()) {
      total += later.size();
    }
    return total;
  }

  /**
   * What {@link RetentionPlan} needs of {@code segments}; a segment whose batches carry no
   * timestamp counts with its file's modification time.
   */
  static List<RetentionPlan.Segment> retentionFacts(List<LogSegment> segments) throws IOException {
    List<RetentionPlan.Segment> facts = new ArrayList<>();
    for (LogSegment s : segments) {
      long newest = s.newestTimestamp() >= 0 ? s.newestTimestamp() : s.lastModifiedMillis();
      facts.add(new RetentionPlan.Segment(s.size(), s.nextOffset(), newest));
    }
    return facts;
  }

  // ---- structure changes (callers hold restructure()) ----

  /**
   * Removes every batch at and above the batch holding {@code offset}, which must be above the
   * first segment's base offset; the last remaining segment is cut and flushed.
   *
   * @return the new next offset of the log
   */
  long truncateTo(long offset) throws IOException {
    for (Long base : new ArrayList<>(byBase.tailMap(offset, true).keySet())) {
      byBase.remove(base).delete();
    }
    LogSegment last = active();
    last.truncateTo(offset, syncer);
    last.flush(syncer);
    return last.nextOffset();
  }

  /** Deletes every segment; the caller then {@link #create}s the first one of the new log. */
  void deleteAll() throws IOException {
    for (LogSegment s : byBase.values()) {
      s.delete();
    }
    byBase.clear();
  }

  /** Deletes {@code oldest}, which must be the first segments. */
  void deleteOldest(List<LogSegment> oldest) throws IOException {
    for (LogSegment s : oldest) {
      byBase.remove(s.baseOffset());
      s.delete();
    }
  }

  /**
   * Closes every segment, even if one fails (the first failure is thrown, the others suppressed in
   * it), and forgets them.
   */
  void closeAll() throws IOException {
    IOException first = null;
    for (LogSegment s : byBase.values()) {
      try {
        s.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    byBase.clear();
    if (first != null) {
      throw first;
    }
  }

  boolean isEmpty() {
    return byBase.isEmpty();
  }
}
