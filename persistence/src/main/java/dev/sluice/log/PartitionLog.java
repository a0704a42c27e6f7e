package dev.sluice.log;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.SettingsException;
import dev.sluice.config.SettingsValidator;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.checkpoint.OffsetCheckpoint;
import dev.sluice.log.epoch.EpochEndOffset;
import dev.sluice.log.epoch.EpochEntry;
import dev.sluice.log.epoch.LeaderEpochCache;
import dev.sluice.log.record.BatchHeader;
import dev.sluice.log.record.BatchLimit;
import dev.sluice.log.record.ByteBufferBatches;
import dev.sluice.log.record.CorruptRecordException;
import dev.sluice.log.record.FileRecordReader;
import dev.sluice.log.record.Header;
import dev.sluice.log.record.MemoryBatchBuilder;
import dev.sluice.log.record.Record;
import dev.sluice.log.record.RecordBatch;
import dev.sluice.log.record.StoredRecord;
import dev.sluice.log.record.StreamingBatchWriter;
import dev.sluice.log.segment.BatchLocation;
import dev.sluice.log.segment.BatchWriter;
import dev.sluice.log.segment.FileTransfer;
import dev.sluice.log.segment.LogSegment;
import dev.sluice.log.segment.SegmentFiles;
import dev.sluice.log.staging.StagedFile;
import dev.sluice.log.staging.StagingArea;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of one partition replica: a directory of segments ({@code <baseOffset>.log} + {@code
 * .index}), the {@code high-watermark}, {@code log-start-offset} and {@code leader-epochs}
 * checkpoints and a {@code staging/} area.
 *
 * <p>Invariants: segments are contiguous (each starts at the previous one's end offset) and hold
 * whole, validated batches only; {@code logStartOffset <= highWatermark <= logEndOffset}; the last
 * segment is the active one and the only one appended to. Older segments are flushed when the log
 * rolls past them. The high watermark only moves up, except when truncation cuts the log below it.
 * The leader-epoch history ({@link LeaderEpochCache}) describes exactly the batches in the log:
 * every append, truncation and retention pass updates it under the write lock, and recovery
 * reconciles it with the recovered segments.
 *
 * <p>Recovery at {@link #open}: the active segment is checked batch by batch (header and CRC) and a
 * torn or corrupt tail is cut at the last good batch (with a WARN naming file, position and
 * reason). After a clean shutdown (the {@code clean-shutdown} marker, written by {@link #close}
 * after the final flush) the check starts at the last index entry, which is cheap; after a crash it
 * covers the whole active segment and rebuilds its index, because with {@link FlushPolicy#OS} the
 * unflushed region, which may be damaged, can start before the last index entry. Older segments are
 * trusted (they were flushed at roll) and only their index and last batches' headers are checked,
 * which keeps opening a large log quick. If an older segment turns out damaged after all (an
 * impossible header, a torn batch, or an end offset that does not meet the next segment), the log
 * is cut there and the later segments are deleted: a log with a hole cannot be served, and a
 * follower re-fetches what was cut from its leader.
 *
 * <p>Thread-safety: one writer at a time (appends, truncation, retention, flush and close are
 * serialised on a lock) and any number of concurrent readers ({@link #read}, {@link #locate}, the
 * offset getters). The log end offset is volatile and moves only after a batch's bytes (and, with
 * {@link FlushPolicy#EVERY_BATCH}, its fsync) are done, and readers never look past it. Truncation
 * and segment deletion take a read-write lock's write side, so a reader never scans a file that is
 * being cut or deleted; appends do not take it, so a long append never blocks readers. Files named
 * in a returned {@link LogSlice} may still be deleted or cut after the read returns.
 */
public final class PartitionLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);

  public static final String HIGH_WATERMARK_FILE = "high-watermark";
  public static final String LOG_START_OFFSET_FILE = "log-start-offset";
  public static final String STAGING_DIR = "staging";

  /** Present while the log is closed cleanly; absent after a crash. */
  public static final String CLEAN_SHUTDOWN_FILE = "clean-shutdown";

  private final Path dir;
  private final StorageSettings settings;
  private final Clock clock;
  private final BatchLimit storedBatchLimit;
  private final ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
  private final Object writeLock = new Object();
  private final Object highWatermarkLock = new Object();
  private final ReentrantReadWriteLock structureLock = new ReentrantReadWriteLock();
  private final OffsetCheckpoint highWatermarkCheckpoint;
  private final OffsetCheckpoint logStartCheckpoint;
  private volatile StagingArea staging;
  private volatile LeaderEpochCache epochs;

  private volatile long logEndOffset;
  private volatile long logStartOffset;
  private volatile long highWatermark;
  private volatile int latestLeaderEpoch = -1;

  private PartitionLog(Path dir, StorageSettings settings, Clock clock) {
    this.dir = dir;
    this.settings = settings;
    this.clock = clock;
    this.storedBatchLimit = BatchLimit.segmentBytes(settings.segmentBytes());
    this.highWatermarkCheckpoint = new OffsetCheckpoint(dir.resolve(HIGH_WATERMARK_FILE));
    this.logStartCheckpoint = new OffsetCheckpoint(dir.resolve(LOG_START_OFFSET_FILE));
  }

  /**
   * Opens the log in {@code dir} (creating it if missing) and recovers it.
   *
   * @throws SettingsException if {@code settings} break a storage rule of {@link
   *     SettingsValidator}, the rules a node checks at start-up
   */
  public static PartitionLog open(Path dir, StorageSettings settings, Clock clock)
      throws IOException {
    SettingsValidator.requireValid(settings);
    Files.createDirectories(dir);
    PartitionLog partitionLog = new PartitionLog(dir, settings, clock);
    try {
      partitionLog.load();
    } catch (IOException | RuntimeException e) {
      partitionLog.closeSegments();
      throw e;
    }
    return partitionLog;
  }

  private void load() throws IOException {
    TreeSet<Long> bases = new TreeSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(OffsetCheckpoint.TEMP_SUFFIX)) {
          log.info("{}: deleting leftover temporary file", f);
          Files.deleteIfExists(f);
        }
        SegmentFiles.parse(f, SegmentFiles.LOG_SUFFIX).ifPresent(bases::add);
      }
    }
    deleteOrphanIndexes(bases);
    Path cleanMarker = dir.resolve(CLEAN_SHUTDOWN_FILE);
    boolean cleanShutdown = Files.deleteIfExists(cleanMarker);
    OptionalLong checkpointedStart = logStartCheckpoint.read();
    if (bases.isEmpty()) {
      long start = Math.max(0, checkpointedStart.orElse(0));
      segments.put(start, newSegment(start));
    } else {
      if (!cleanShutdown) {
        log.info("{}: no clean shutdown marker; checking the whole active segment", dir);
      }
      openSegments(bases, !cleanShutdown);
    }
    LogSegment active = segments.lastEntry().getValue();
    logEndOffset = active.nextOffset();
    long firstBase = segments.firstKey();
    logStartOffset =
        Math.min(logEndOffset, Math.max(firstBase, checkpointedStart.orElse(firstBase)));
    epochs = LeaderEpochCache.recover(dir, segments, logStartOffset);
    latestLeaderEpoch = epochs.latestEpoch();
    OptionalLong hw = highWatermarkCheckpoint.read();
    long clamped = clamp(hw.orElse(logStartOffset));
    if (hw.isPresent() && clamped != hw.getAsLong()) {
      log.warn(
          "{}: high watermark {} is outside [{}, {}] after recovery; clamped to {}",
          dir,
          hw.getAsLong(),
          logStartOffset,
          logEndOffset,
          clamped);
      highWatermarkCheckpoint.write(clamped);
    }
    highWatermark = clamped;
    staging = StagingArea.open(dir.resolve(STAGING_DIR), logEndOffset);
    log.debug(
        "{}: opened with {} segments, offsets [{}, {}), high watermark {}",
        dir,
        segments.size(),
        logStartOffset,
        logEndOffset,
        highWatermark);
  }

  private void deleteOrphanIndexes(TreeSet<Long> bases) throws IOException {
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(dir, "*" + SegmentFiles.INDEX_SUFFIX)) {
      for (Path f : files) {
        OptionalLong base = SegmentFiles.parse(f, SegmentFiles.INDEX_SUFFIX);
        if (base.isPresent() && !bases.contains(base.getAsLong())) {
          log.info("{}: deleting index without a log file", f);
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private void openSegments(TreeSet<Long> bases, boolean afterCrash) throws IOException {
    List<Long> ordered = new ArrayList<>(bases);
    for (int i = 0; i < ordered.size(); i++) {
      long base = ordered.get(i);
      boolean last = i == ordered.size() - 1;
      LogSegment segment =
          LogSegment.open(
              dir, base, settings.indexIntervalBytes(), storedBatchLimit, last, last && afterCrash);
      segments.put(base, segment);
      if (last) {
        break;
      }
      long nextBase = ordered.get(i + 1);
      String damage = null;
      if (segment.recovery().truncated()) {
        damage = "damaged tail: " + segment.recovery().reason();
      } else if (segment.nextOffset() != nextBase) {
        damage =
            "segment ends at offset "
                + segment.nextOffset()
                + " but the next one starts at "
                + nextBase;
      }
      if (damage != null) {
        List<Long> dropped = ordered.subList(i + 1, ordered.size());
        log.warn(
            "{}: {}; deleting the {} later segments {} (a follower re-fetches them)",
            segment.logFile(),
            damage,
            dropped.size(),
            dropped);
        for (long d : dropped) {
          Files.deleteIfExists(SegmentFiles.logFile(dir, d));
          Files.deleteIfExists(SegmentFiles.indexFile(dir, d));
        }
        break;
      }
    }
  }

  private LogSegment newSegment(long baseOffset) throws IOException {
    LogSegment s =
        LogSegment.create(dir, baseOffset, settings.indexIntervalBytes(), storedBatchLimit);
    OffsetCheckpoint.forceDirectory(dir);
    return s;
  }

  // ---- state ----

  public Path dir() {
    return dir;
  }

  public long logStartOffset() {
    return logStartOffset;
  }

  /** The offset the next appended record gets. */
  public long logEndOffset() {
    return logEndOffset;
  }

  public long highWatermark() {
    return highWatermark;
  }

  /**
   * Leader epoch of the last batch in the log, or -1 if the log is empty: the latest epoch of the
   * leader-epoch history. (If batches with an older epoch were appended after it, which is logged
   * at WARN, it stays the highest epoch in the log.)
   */
  public int latestLeaderEpoch() {
    return latestLeaderEpoch;
  }

  /**
   * Where {@code epoch} ends in this log by its leader-epoch history: the largest epoch not above
   * {@code epoch} and the offset where the next epoch starts, or the log end offset (rules in
   * {@link LeaderEpochCache#endOffsetFor}). A leader answers a follower's last epoch with it; a
   * follower applies it to its own log to find where to cut.
   */
  public EpochEndOffset endOffsetForEpoch(int epoch) {
    // Truncation and retention change the history under the write side of this lock.
    structureLock.readLock().lock();
    try {
      return epochs.endOffsetFor(epoch, logEndOffset);
    } finally {
      structureLock.readLock().unlock();
    }
  }

  /** The leader-epoch history, oldest first (a snapshot). */
  public List<EpochEntry> leaderEpochs() {
    return epochs.entries();
  }

  public long sizeInBytes() {
    long total = 0;
    for (LogSegment s : segments.values()) {
      total += s.size();
    }
    return total;
  }

  public int segmentCount() {
    return segments.size();
  }

  public StorageSettings settings() {
    return settings;
  }

  /** Where incoming values and oversized batches are staged before they are appended. */
  public StagingArea staging() {
    return staging;
  }

  /**
   * Raises the high watermark to {@code hw} clamped to {@code [logStartOffset, logEndOffset]} and
   * checkpoints it. A value at or below the current high watermark changes nothing: a committed
   * offset stays committed, whatever a new leader or a late message says; only truncation ({@link
   * #truncateTo}, {@link #truncateFullyAndStartAt}) lowers it.
   */
  public void updateHighWatermark(long hw) throws IOException {
    synchronized (highWatermarkLock) {
      long clamped = clamp(hw);
      if (clamped > highWatermark) {
        highWatermarkCheckpoint.write(clamped);
        highWatermark = clamped;
      }
    }
  }

  private long clamp(long offset) {
    return Math.max(logStartOffset, Math.min(offset, logEndOffset));
  }

  // ---- appends ----

  /** Size of a one-record batch, so a caller can refuse a value before receiving it all. */
  public static long batchSizeFor(byte[] key, List<Header> headers, long valueLength) {
    return RecordBatch.singleRecordBatchSize(key, headers, valueLength);
  }

  /**
   * Appends {@code records} as one batch with offsets from the log end offset (leader path).
   *
   * @throws RecordTooLargeException if the batch exceeds {@code max-batch-bytes}; nothing is
   *     written
   */
  public AppendInfo appendRecords(List<Record> records, int leaderEpoch) throws IOException {
    if (records.isEmpty()) {
      throw new IllegalArgumentException("appendRecords needs at least one record");
    }
    checkLeaderEpoch(leaderEpoch);
    checkBatchSize(MemoryBatchBuilder.sizeOf(records));
    synchronized (writeLock) {
      ByteBuffer batch =
          MemoryBatchBuilder.build(logEndOffset, leaderEpoch, clock.millis(), records);
      BatchHeader header = BatchHeader.parse(batch, storedBatchLimit, "new batch", 0);
      appendOne(header, (ch, pos) -> FileTransfer.writeFully(ch, batch.duplicate(), pos));
      return commit(header.baseOffset(), header.lastOffset(), header.totalSize());
    }
  }

  /**
   * Appends one record whose value is the whole content of {@code valueFile}, streamed in bounded
   * memory (leader path).
   *
   * @throws RecordTooLargeException if the batch exceeds {@code max-batch-bytes}; nothing is
   *     written
   */
  public AppendInfo appendValueFile(
      byte[] key, List<Header> headers, Path valueFile, int leaderEpoch) throws IOException {
    checkLeaderEpoch(leaderEpoch);
    try (FileChannel value = FileChannel.open(valueFile, StandardOpenOption.READ)) {
      long valueLength = value.size();
      checkBatchSize(batchSizeFor(key, headers, valueLength));
      StreamingBatchWriter writer =
          StreamingBatchWriter.of(0, leaderEpoch, clock.millis(), key, headers, valueLength);
      // The CRC does not cover the base offset: read the value for it before taking the lock.
      writer.computeValueCrc(value);
      synchronized (writeLock) {
        BatchHeader header = writer.withBaseOffset(logEndOffset).header();
        appendOne(header, (ch, pos) -> writer.writeFromFile(value, ch, pos));
        return commit(header.baseOffset(), header.lastOffset(), header.totalSize());
      }
    }
  }

  private void checkLeaderEpoch(int leaderEpoch) {
    if (leaderEpoch < 0) {
      throw new IllegalArgumentException(
          dir + ": a leader appends with its epoch, not with the negative epoch " + leaderEpoch);
    }
  }

  private void checkBatchSize(long size) {
    if (size > settings.maxBatchBytes()) {
      throw new RecordTooLargeException(size, settings.maxBatchBytes());
    }
  }

  /**
   * Appends complete batches in their on-disk form, as received from the leader (follower path):
   * checks magic, length (against {@code segment-bytes} only: the leader already applied {@code
   * max-batch-bytes}) and CRC of every batch, and that they continue the log end offset, before
   * writing anything; then appends them keeping the leader's offsets and epochs.
   *
   * @throws CorruptRecordException if a batch is invalid or the buffer ends inside a batch
   * @throws OffsetMismatchException if the batches do not start at the log end offset or leave a
   *     gap between them
   */
  public AppendInfo appendBatches(ByteBuffer wholeBatches) throws IOException {
    String source = "replicated batches for " + dir;
    ByteBufferBatches reader =
        new ByteBufferBatches(wholeBatches.duplicate(), storedBatchLimit, source, 0);
    List<ByteBuffer> batches = new ArrayList<>();
    List<BatchHeader> headers = new ArrayList<>();
    long position = 0;
    for (ByteBuffer b = reader.nextBatch(); b != null; b = reader.nextBatch()) {
      batches.add(b);
      headers.add(BatchHeader.parse(b, storedBatchLimit, source, position));
      position += b.remaining();
    }
    if (reader.remaining() > 0) {
      throw CorruptRecordException.at(
          source, position, "incomplete batch: " + reader.remaining() + " trailing bytes");
    }
    if (batches.isEmpty()) {
      throw new IllegalArgumentException(source + ": no batches to append");
    }
    synchronized (writeLock) {
      long expected = logEndOffset;
      for (BatchHeader h : headers) {
        if (h.baseOffset() != expected) {
          throw new OffsetMismatchException(dir.toString(), expected, h.baseOffset());
        }
        expected = h.nextOffset();
      }
      int written = 0;
      long bytes = 0;
      try {
        for (; written < batches.size(); written++) {
          ByteBuffer b = batches.get(written);
          appendOne(
              headers.get(written), (ch, pos) -> FileTransfer.writeFully(ch, b.duplicate(), pos));
          bytes += b.remaining();
        }
      } catch (IOException | RuntimeException e) {
        if (written > 0) {
          // The batches before the failed one are in the segments: publish them, so that the log
          // end offset matches the segments and a retry continues after them.
          try {
            commit(headers.get(0).baseOffset(), headers.get(written - 1).lastOffset(), bytes);
          } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        throw e;
      }
      BatchHeader last = headers.get(headers.size() - 1);
      return commit(headers.get(0).baseOffset(), last.lastOffset(), position);
    }
  }

  /**
   * Appends the single complete batch held in {@code batchFile} (an oversized batch staged from
   * chunks), copying it with {@code transferTo} in bounded memory. Checks as {@link
   * #appendBatches}; the file must hold exactly one batch.
   */
  public AppendInfo appendBatch(Path batchFile) throws IOException {
    String source = batchFile.toString();
    try (FileChannel src = FileChannel.open(batchFile, StandardOpenOption.READ)) {
      long fileSize = src.size();
      ByteBuffer head = ByteBuffer.allocate((int) Math.min(RecordBatch.HEADER_BYTES, fileSize));
      while (head.hasRemaining() && src.read(head, head.position()) >= 0) {}
      head.flip();
      BatchHeader.peekTotalSize(head, storedBatchLimit, source, 0);
      BatchHeader h = BatchHeader.parse(head, storedBatchLimit, source, 0);
      if (h == null) {
        throw CorruptRecordException.at(
            source, 0, "file of " + fileSize + " bytes is shorter than a batch header");
      }
      if (h.totalSize() != fileSize) {
        throw CorruptRecordException.at(
            source, 0, "file size " + fileSize + " does not match batch size " + h.totalSize());
      }
      RecordBatch.checkCrc(h, RecordBatch.computeCrc(src, 0, fileSize), source, 0);
      synchronized (writeLock) {
        if (h.baseOffset() != logEndOffset) {
          throw new OffsetMismatchException(dir.toString(), logEndOffset, h.baseOffset());
        }
        appendOne(h, (ch, pos) -> FileTransfer.copy(src, 0, fileSize, ch, pos));
        return commit(h.baseOffset(), h.lastOffset(), fileSize);
      }
    }
  }

  /** {@link #appendBatch} from a completed staged batch, which is deleted afterwards. */
  public AppendInfo appendStagedBatch(StagedFile staged) throws IOException {
    try {
      staged.close();
      return appendBatch(staged.path());
    } finally {
      staged.abort();
    }
  }

  /**
   * Writes one batch into the active segment, rolling first if it would not fit. Every append path
   * comes through here, so this is where the leader-epoch history learns about new epochs: before
   * any byte of the batch is written, and undone if the batch is not.
   */
  private void appendOne(BatchHeader header, BatchWriter writer) throws IOException {
    epochs.assign(header.leaderEpoch(), header.baseOffset());
    try {
      activeSegmentFor(header).append(header, writer);
    } catch (IOException | RuntimeException e) {
      try {
        epochs.truncateFromEnd(header.baseOffset());
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private LogSegment activeSegmentFor(BatchHeader header) throws IOException {
    LogSegment active = segments.lastEntry().getValue();
    boolean full = active.size() + header.totalSize() > settings.segmentBytes();
    boolean offsetsOverflow = header.lastOffset() - active.baseOffset() > Integer.MAX_VALUE;
    if (!active.isEmpty() && (full || offsetsOverflow)) {
      // Older segments are trusted by recovery, so they must be on disk before we move on.
      active.flush();
      long base = active.nextOffset();
      active = newSegment(base);
      segments.put(base, active);
      log.debug("{}: rolled to a new segment at offset {}", dir, base);
    }
    return active;
  }

  /** Flushes as the policy asks, then publishes the new log end offset to readers. */
  private AppendInfo commit(long baseOffset, long lastOffset, long bytes) throws IOException {
    LogSegment active = segments.lastEntry().getValue();
    if (settings.flush() == FlushPolicy.EVERY_BATCH) {
      active.flush();
    }
    latestLeaderEpoch = epochs.latestEpoch();
    logEndOffset = lastOffset + 1;
    return new AppendInfo(baseOffset, lastOffset, bytes, logEndOffset);
  }

  // ---- reads ----

  /**
   * Whole batches from the one containing {@code offset}, packed while they fit {@code maxBytes},
   * and always at least one batch if {@code offset < logEndOffset}, however large (KIP-74). One
   * slice per segment touched.
   *
   * @throws OffsetOutOfRangeException if {@code offset} is outside {@code [logStartOffset,
   *     logEndOffset]}
   */
  public FetchResult read(long offset, long maxBytes) throws IOException {
    FetchResult batches = readBatches(offset, maxBytes);
    return new FetchResult(
        offset, perSegment(batches.slices()), batches.logEndOffset(), batches.highWatermark());
  }

  /**
   * As {@link #read}, but one slice per batch: where each batch starts and ends, from the same walk
   * over the batch headers, for a reader that must cut between batches (the leader's frame
   * planner).
   */
  public FetchResult readBatches(long offset, long maxBytes) throws IOException {
    long end = logEndOffset;
    long hw = highWatermark;
    checkRange(offset, end);
    if (offset == end) {
      return new FetchResult(offset, List.of(), end, hw);
    }
    List<LogSlice> slices = new ArrayList<>();
    structureLock.readLock().lock();
    try {
      Map.Entry<Long, LogSegment> entry = segments.floorEntry(offset);
      if (entry == null) {
        checkRange(offset, end);
        throw new OffsetOutOfRangeException(dir.toString(), offset, logStartOffset, end);
      }
      long next = offset;
      long budget = maxBytes;
      while (entry != null && next < end) {
        LogSegment segment = entry.getValue();
        List<LogSlice> batches = segment.read(next, budget, slices.isEmpty(), end);
        if (!batches.isEmpty()) {
          slices.addAll(batches);
          LogSlice last = batches.get(batches.size() - 1);
          budget -= last.position() + last.length() - batches.get(0).position();
          next = last.lastOffset() + 1;
          boolean stoppedInside = last.position() + last.length() < segment.size();
          if (budget <= 0 || stoppedInside) {
            break;
          }
        } else if (segment.nextOffset() > next) {
          break; // the next batch does not fit the budget
        }
        entry = segments.higherEntry(entry.getKey());
      }
    } finally {
      structureLock.readLock().unlock();
    }
    return new FetchResult(offset, slices, end, hw);
  }

  /** Consecutive batches of one segment file joined into one slice. */
  private static List<LogSlice> perSegment(List<LogSlice> batches) {
    List<LogSlice> joined = new ArrayList<>();
    LogSlice run = null;
    for (LogSlice b : batches) {
      if (run != null
          && run.segmentFile().equals(b.segmentFile())
          && run.position() + run.length() == b.position()) {
        run =
            new LogSlice(
                run.segmentFile(),
                run.position(),
                run.length() + b.length(),
                run.baseOffset(),
                b.lastOffset());
      } else {
        if (run != null) {
          joined.add(run);
        }
        run = b;
      }
    }
    if (run != null) {
      joined.add(run);
    }
    return joined;
  }

  /**
   * Bytes of log from the batch holding {@code offset} to the log end: how far behind a replica
   * whose log ends at {@code offset} is. One index lookup in one segment plus the sizes of the
   * later segments, never a scan of the log; 0 at or past the end, the whole log below the start.
   */
  public long bytesAfter(long offset) throws IOException {
    if (offset >= logEndOffset) {
      return 0;
    }
    structureLock.readLock().lock();
    try {
      Map.Entry<Long, LogSegment> entry = segments.floorEntry(Math.max(offset, logStartOffset));
      if (entry == null) {
        return sizeInBytes();
      }
      BatchLocation at = entry.getValue().find(offset);
      long total = at == null ? 0 : entry.getValue().size() - at.position();
      for (LogSegment later : segments.tailMap(entry.getKey(), false).values()) {
        total += later.size();
      }
      return total;
    } finally {
      structureLock.readLock().unlock();
    }
  }

  private void checkRange(long offset, long end) {
    if (offset < logStartOffset || offset > end) {
      throw new OffsetOutOfRangeException(dir.toString(), offset, logStartOffset, end);
    }
  }

  /** The record at {@code offset}, or empty if the offset is not in the log. */
  public Optional<RecordLocation> locate(long offset) throws IOException {
    if (offset < logStartOffset || offset >= logEndOffset) {
      return Optional.empty();
    }
    structureLock.readLock().lock();
    try {
      Map.Entry<Long, LogSegment> entry = segments.floorEntry(offset);
      if (entry == null) {
        return Optional.empty();
      }
      LogSegment segment = entry.getValue();
      BatchLocation batch = segment.find(offset);
      if (batch == null) {
        return Optional.empty();
      }
      BatchHeader h = batch.header();
      StoredRecord r =
          new FileRecordReader(segment.channel(), segment.logFile(), batch.position(), h)
              .seek(offset);
      return Optional.of(
          new RecordLocation(
              offset,
              r.key(),
              r.headers(),
              r.file(),
              r.valuePosition(),
              r.valueLength(),
              h.baseOffset(),
              h.leaderEpoch(),
              h.maxTimestamp()));
    } finally {
      structureLock.readLock().unlock();
    }
  }

  // ---- truncation and retention ----

  /**
   * Removes every record at and above {@code offset}. The cut is at a batch boundary: if {@code
   * offset} falls inside a batch, that whole batch goes and the log end offset becomes its base
   * offset. If {@code offset <= logStartOffset} the log is emptied and restarts at {@code offset}.
   * The high watermark is clamped to the new log end.
   */
  public void truncateTo(long offset) throws IOException {
    synchronized (writeLock) {
      if (offset >= logEndOffset) {
        return;
      }
      structureLock.writeLock().lock();
      try {
        if (offset <= logStartOffset) {
          resetTo(offset);
        } else {
          for (Long base : new ArrayList<>(segments.tailMap(offset, true).keySet())) {
            segments.remove(base).delete();
          }
          LogSegment last = segments.lastEntry().getValue();
          last.truncateTo(offset);
          last.flush();
          logEndOffset = last.nextOffset();
        }
        epochs.truncateFromEnd(logEndOffset);
        latestLeaderEpoch = epochs.latestEpoch();
      } finally {
        structureLock.writeLock().unlock();
      }
      staging.discardResumables();
      log.info("{}: truncated to offset {} (log end offset now {})", dir, offset, logEndOffset);
    }
    synchronized (highWatermarkLock) {
      if (highWatermark > logEndOffset) {
        highWatermarkCheckpoint.write(logEndOffset);
        highWatermark = logEndOffset;
      }
    }
  }

  /**
   * Empties the log and restarts it at {@code offset}, which becomes both the log start and end
   * offset (a follower whose log end is below its leader's log start offset does this).
   */
  public void truncateFullyAndStartAt(long offset) throws IOException {
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    synchronized (writeLock) {
      structureLock.writeLock().lock();
      try {
        resetTo(offset);
      } finally {
        structureLock.writeLock().unlock();
      }
      staging.discardResumables();
      log.info("{}: emptied; log restarts at offset {}", dir, offset);
    }
    synchronized (highWatermarkLock) {
      highWatermarkCheckpoint.write(offset);
      highWatermark = offset;
    }
  }

  private void resetTo(long offset) throws IOException {
    for (LogSegment s : segments.values()) {
      s.delete();
    }
    segments.clear();
    long start = Math.max(0, offset);
    logStartCheckpoint.write(start);
    segments.put(start, newSegment(start));
    logStartOffset = start;
    logEndOffset = start;
    epochs.clear();
    latestLeaderEpoch = epochs.latestEpoch();
  }

  /**
   * Deletes whole old segments while the log is over {@code retention-bytes}, or while their newest
   * batch is older than {@code retention-time} by the injected clock (the file's mtime if the
   * timestamp is unknown). Only a prefix of segments is deleted, never the active one, and never
   * one holding offsets at or above the high watermark (they may not be replicated yet). Advances
   * and checkpoints the log start offset.
   *
   * @return the number of segments deleted
   */
  public int applyRetention() throws IOException {
    synchronized (writeLock) {
      long now = clock.millis();
      long retentionMs = settings.retentionTime().toMillis();
      long total = sizeInBytes();
      List<LogSegment> doomed = new ArrayList<>();
      List<LogSegment> all = new ArrayList<>(segments.values());
      for (int i = 0; i < all.size() - 1; i++) {
        LogSegment s = all.get(i);
        if (s.nextOffset() > highWatermark) {
          break;
        }
        boolean expired = retentionMs > 0 && now - newestTimestamp(s) > retentionMs;
        boolean overSize =
            settings.retentionBytes() >= 0 && total - s.size() >= settings.retentionBytes();
        if (!expired && !overSize) {
          break;
        }
        total -= s.size();
        doomed.add(s);
      }
      if (doomed.isEmpty()) {
        return 0;
      }
      long newStart = all.get(doomed.size()).baseOffset();
      // Checkpoint first: after a crash between the two steps, the start offset already hides
      // the segments that were about to go, and the next retention pass deletes them.
      logStartCheckpoint.write(newStart);
      structureLock.writeLock().lock();
      try {
        logStartOffset = newStart;
        epochs.truncateFromStart(newStart);
        for (LogSegment s : doomed) {
          segments.remove(s.baseOffset());
          s.delete();
        }
      } finally {
        structureLock.writeLock().unlock();
      }
      log.info(
          "{}: retention deleted {} segments; log start offset now {}",
          dir,
          doomed.size(),
          newStart);
      return doomed.size();
    }
  }

  private static long newestTimestamp(LogSegment s) throws IOException {
    long ts = s.newestTimestamp();
    return ts >= 0 ? ts : s.lastModifiedMillis();
  }

  // ---- lifecycle ----

  /** Forces the active segment to disk (older ones were forced when the log rolled). */
  public void flush() throws IOException {
    synchronized (writeLock) {
      segments.lastEntry().getValue().flush();
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (writeLock) {
      structureLock.writeLock().lock();
      try {
        if (segments.isEmpty()) {
          return;
        }
        segments.lastEntry().getValue().flush();
        closeSegments();
        // Written last: its presence promises that every segment is whole and flushed.
        Files.write(dir.resolve(CLEAN_SHUTDOWN_FILE), new byte[0]);
        OffsetCheckpoint.forceDirectory(dir);
      } finally {
        structureLock.writeLock().unlock();
      }
    }
  }

  private void closeSegments() throws IOException {
    IOException first = null;
    for (LogSegment s : segments.values()) {
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
    segments.clear();
    if (first != null) {
      throw first;
    }
  }

  @Override
  public String toString() {
    return "PartitionLog("
        + dir
        + ", offsets ["
        + logStartOffset
        + ", "
        + logEndOffset
        + "), hw "
        + highWatermark
        + ")";
  }
}
