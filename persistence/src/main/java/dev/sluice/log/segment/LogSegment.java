package dev.sluice.log.segment;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.log.LogSlice;
import dev.sluice.log.Syncer;
import dev.sluice.log.index.IndexEntry;
import dev.sluice.log.index.OffsetIndex;
import dev.sluice.log.record.BatchFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment of a partition log: a {@code .log} file of whole batches and its sparse {@link
 * OffsetIndex}. The first batch's base offset equals the segment's base offset and each batch
 * starts at the offset after the previous one (offsets are dense).
 *
 * <p>Invariants: {@link #size()} bytes from position 0 are whole, validated batches; bytes past it
 * (a failed append) are never read and are cut on the next append or recovery. Every index entry
 * points at a batch start below {@link #size()}.
 *
 * <p>Thread-safety: one writer (append, truncate, recover) and concurrent readers. The writer
 * publishes a batch by updating the volatile {@code size} last, after the bytes and the index entry
 * are written, and readers only look at bytes below the size they read. Readers use positional
 * reads only, so they share the channel safely.
 */
public final class LogSegment implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogSegment.class);

  /** Read size of {@link #forEachBatchHeader}: many small batches' headers per read. */
  static final int HEADER_SCAN_BUFFER_BYTES = 64 * 1024;

  private final long baseOffset;
  private final Path logFile;
  private final FileChannel channel;
  private final OffsetIndex index;
  private final int indexIntervalBytes;

  /** Any stored batch fits a segment; a larger length in a header is corruption. */
  private final BatchLimit headerLimit;

  private volatile long size;
  private volatile long nextOffset;
  private volatile int lastEpoch = -1;
  private volatile long newestTimestamp = -1;

  /**
   * How much of the file a completed force covered. Starts at the recovered size: older segments
   * were forced at roll and a cleanly closed one at close; after a crash the log forces the active
   * segment itself before it trusts this.
   */
  private volatile long forcedSize;

  private long bytesSinceLastIndexEntry;
  private RecoveryResult recovery = new RecoveryResult(0, null, false);

  private LogSegment(
      Path dir, long baseOffset, int indexIntervalBytes, BatchLimit headerLimit, boolean fresh)
      throws IOException {
    this.baseOffset = baseOffset;
    this.logFile = SegmentFiles.logFile(dir, baseOffset);
    this.indexIntervalBytes = indexIntervalBytes;
    this.headerLimit = headerLimit;
    Path indexFile = SegmentFiles.indexFile(dir, baseOffset);
    if (fresh) {
      Files.deleteIfExists(indexFile);
    }
    this.channel =
        FileChannel.open(
            logFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    if (fresh) {
      channel.truncate(0);
    }
    this.index = OffsetIndex.open(indexFile, baseOffset);
    this.nextOffset = baseOffset;
  }

  /** Creates an empty segment, replacing stale files with the same base offset. */
  public static LogSegment create(
      Path dir, long baseOffset, int indexIntervalBytes, BatchLimit headerLimit)
      throws IOException {
    return new LogSegment(dir, baseOffset, indexIntervalBytes, headerLimit, true);
  }

  /**
   * Opens an existing segment and recovers it: walks the batches from the last index entry (or from
   * position 0 with {@code fullScan}, rebuilding the index), and cuts the file at the first batch
   * that is torn or impossible. With {@code verifyCrc} each walked batch's CRC is checked too (the
   * active segment); without it only headers are (older segments, flushed when the log rolled past
   * them, are trusted).
   */
  public static LogSegment open(
      Path dir,
      long baseOffset,
      int indexIntervalBytes,
      BatchLimit headerLimit,
      boolean verifyCrc,
      boolean fullScan)
      throws IOException {
    boolean indexMissing = !Files.exists(SegmentFiles.indexFile(dir, baseOffset));
    LogSegment s = new LogSegment(dir, baseOffset, indexIntervalBytes, headerLimit, false);
    try {
      s.recovery = s.recover(verifyCrc, indexMissing, fullScan);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** What recovery found when this segment was opened (nothing for a created segment). */
  public RecoveryResult recovery() {
    return recovery;
  }

  public long baseOffset() {
    return baseOffset;
  }

  public Path logFile() {
    return logFile;
  }

  /** Committed bytes. */
  public long size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /** The offset after the last batch (the base offset if empty). */
  public long nextOffset() {
    return nextOffset;
  }

  /** Leader epoch of the last batch, or -1 if empty. */
  public int lastEpoch() {
    return lastEpoch;
  }

  /** Newest batch timestamp in the segment (epoch millis), or -1 if unknown or empty. */
  public long newestTimestamp() {
    return newestTimestamp;
  }

  public long lastModifiedMillis() throws IOException {
    return Files.getLastModifiedTime(logFile).toMillis();
  }

  /**
   * Appends one batch at the end: {@code writer} writes {@code header.totalSize()} bytes, then the
   * index and the size are updated. If the writer fails, the file is cut back so the failed bytes
   * never precede a later batch.
   */
  public void append(BatchHeader header, BatchWriter writer) throws IOException {
    long position = size;
    try {
      writer.writeTo(channel, position);
    } catch (IOException | RuntimeException e) {
      try {
        channel.truncate(position);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    maybeIndex(header, position);
    lastEpoch = header.partitionLeaderEpoch();
    newestTimestamp = Math.max(newestTimestamp, header.maxTimestamp());
    nextOffset = header.nextOffset();
    size = position + header.totalSize();
  }

  private void maybeIndex(BatchHeader header, long position) throws IOException {
    if (bytesSinceLastIndexEntry >= indexIntervalBytes) {
      index.append(header.baseOffset(), (int) position);
      bytesSinceLastIndexEntry = 0;
    }
    bytesSinceLastIndexEntry += header.totalSize();
  }

  /** The batch containing {@code offset}, or null if the segment has none at or above it. */
  public BatchLocation find(long offset) throws IOException {
    long end = size;
    IndexEntry floor = index.lookup(offset);
    long position = floor == null ? 0 : floor.position();
    while (position < end) {
      BatchHeader h = readHeader(position, end);
      if (h.lastOffset() >= offset) {
        return new BatchLocation(position, h);
      }
      position += h.totalSize();
    }
    return null;
  }

  /**
   * Whole batches from the one containing {@code offset}, packed while they fit {@code maxBytes},
   * one slice per batch, from one walk over their headers; with {@code minOneBatch} the first batch
   * is returned even if larger. Batches at or above {@code endOffset} are left out. Empty if there
   * is nothing to return.
   */
  public List<LogSlice> read(long offset, long maxBytes, boolean minOneBatch, long endOffset)
      throws IOException {
    long end = size;
    BatchLocation first = find(offset);
    if (first == null) {
      return List.of();
    }
    List<LogSlice> batches = new ArrayList<>();
    long position = first.position();
    long length = 0;
    BatchHeader h = first.header();
    while (h.baseOffset() < endOffset) {
      long batchSize = h.totalSize();
      if (length + batchSize > maxBytes && !(minOneBatch && length == 0)) {
        break;
      }
      batches.add(
          new LogSlice(logFile, position + length, batchSize, h.baseOffset(), h.lastOffset()));
      length += batchSize;
      if (position + length >= end) {
        break;
      }
      h = readHeader(position + length, end);
    }
    return batches;
  }

  /**
   * Calls {@code action} with the header of every batch in the segment, in order, reading only
   * headers: batches that fit the read buffer are taken from one read, larger ones are skipped
   * over. Memory stays at one {@link #HEADER_SCAN_BUFFER_BYTES} buffer whatever the batch sizes.
   */
  public void forEachBatchHeader(Consumer<BatchHeader> action) throws IOException {
    long end = size;
    ByteBuffer buf = ByteBuffer.allocate(HEADER_SCAN_BUFFER_BYTES);
    long bufferStart = 0;
    buf.limit(0);
    long position = 0;
    while (position < end) {
      if (position + BatchLayout.HEADER_BYTES > bufferStart + buf.limit()) {
        bufferStart = position;
        buf.clear();
        buf.limit((int) Math.min(buf.capacity(), end - position));
        while (buf.hasRemaining()) {
          if (channel.read(buf, bufferStart + buf.position()) < 0) {
            break;
          }
        }
        buf.flip();
      }
      buf.position((int) (position - bufferStart));
      BatchHeader h = BatchHeader.parse(buf, headerLimit, logFile.toString(), position);
      if (h == null) {
        // Below the committed size every batch is whole, so this is damage after recovery.
        throw CorruptRecordException.at(
            logFile.toString(),
            position,
            "batch header cut short at the committed size " + end + " of the segment");
      }
      action.accept(h);
      position += h.totalSize();
    }
  }

  /**
   * The segment's file channel, for decoding records with positional reads. Callers must not write
   * to it or move its position.
   */
  public FileChannel channel() {
    return channel;
  }

  /**
   * Removes every batch at or above the batch containing {@code offset}; the cut is always at a
   * batch boundary, so the new end offset may be below {@code offset}. The cut file is forced
   * through {@code syncer} whenever its size changed, even if every byte left was already forced:
   * the new length must be durable too, or the cut batches could come back after a power loss.
   * Returns the bytes removed.
   */
  public long truncateTo(long offset, Syncer syncer) throws IOException {
    BatchLocation at = offset <= baseOffset ? null : find(offset);
    long newSize;
    if (offset <= baseOffset) {
      newSize = 0;
    } else if (at == null) {
      return 0;
    } else {
      newSize = at.position();
    }
    long removed = size - newSize;
    size = newSize;
    forcedSize = Math.min(forcedSize, newSize);
    channel.truncate(newSize);
    index.truncateToLogSize(newSize);
    Scan s = scan(index.lastEntry(), newSize, false, false);
    applyScan(s);
    // Unconditionally: forceData skips a file whose bytes are all forced, and these are, but the
    // shorter length is not yet.
    syncer.force(channel, logFile, newSize);
    forcedSize = newSize;
    return removed;
  }

  private RecoveryResult recover(boolean verifyCrc, boolean indexMissing, boolean fullScan)
      throws IOException {
    long fileSize = channel.size();
    boolean rebuilt = false;
    if (fullScan) {
      index.clear();
      rebuilt = true;
    }
    String indexProblem = indexMissing && fileSize > 0 ? "index file missing" : null;
    if (indexProblem == null) {
      indexProblem = index.sanityCheck(fileSize);
    }
    if (indexProblem != null) {
      log.warn("{}: rebuilding offset index: {}", index.file(), indexProblem);
      index.clear();
      rebuilt = true;
    }
    IndexEntry start = index.lastEntry();
    Scan s = scan(start, fileSize, verifyCrc, true);
    if (s.failure != null && start != null && s.validEnd == start.position()) {
      // The index entry itself may point at garbage; rescan from the start before cutting.
      log.warn(
          "{}: batch at last index entry {} is invalid ({}); rebuilding index from position 0",
          logFile,
          start,
          s.failure);
      index.clear();
      rebuilt = true;
      s = scan(null, fileSize, verifyCrc, true);
    }
    long truncated = fileSize - s.validEnd;
    if (truncated > 0) {
      log.warn(
          "{} position {}: truncating {} bytes of torn or corrupt tail: {}",
          logFile,
          s.validEnd,
          truncated,
          s.failure);
      channel.truncate(s.validEnd);
      index.truncateToLogSize(s.validEnd);
    }
    applyScan(s);
    size = s.validEnd;
    forcedSize = s.validEnd;
    return new RecoveryResult(truncated, s.failure, rebuilt);
  }

  private void applyScan(Scan s) {
    nextOffset = s.nextOffset;
    lastEpoch = s.lastEpoch;
    bytesSinceLastIndexEntry = s.bytesSinceIndex;
    newestTimestamp = s.lastTimestamp;
  }

  /** The result of walking batches from an index entry to the end of the file. */
  private record Scan(
      long validEnd,
      long nextOffset,
      int lastEpoch,
      long lastTimestamp,
      long bytesSinceIndex,
      String failure) {}

  private Scan scan(IndexEntry from, long end, boolean verifyCrc, boolean addIndexEntries)
      throws IOException {
    long position = from == null ? 0 : from.position();
    long expectedBase = from == null ? baseOffset : from.offset();
    long bytesSince = 0;
    int epoch = -1;
    long timestamp = -1;
    String failure = null;
    boolean atIndexedBatch = from != null;
    while (position < end) {
      BatchHeader h;
      try {
        h = readHeader(position, end);
        if (h.baseOffset() != expectedBase) {
          throw CorruptRecordException.at(
              logFile.toString(),
              position,
              "base offset " + h.baseOffset() + " where " + expectedBase + " was expected");
        }
        if (position + h.totalSize() > end) {
          failure =
              "torn batch: size "
                  + h.totalSize()
                  + " runs past the file end "
                  + end
                  + " by "
                  + (position + h.totalSize() - end)
                  + " bytes";
          break;
        }
        if (verifyCrc) {
          BatchFiles.checkCrc(
              h,
              BatchFiles.computeCrc(channel, position, h.totalSize()),
              logFile.toString(),
              position);
        }
      } catch (CorruptRecordException e) {
        failure = e.getMessage();
        break;
      } catch (TornHeaderException e) {
        failure = e.getMessage();
        break;
      }
      if (addIndexEntries && !atIndexedBatch && bytesSince >= indexIntervalBytes) {
        index.append(h.baseOffset(), (int) position);
        bytesSince = 0;
      }
      atIndexedBatch = false;
      bytesSince += h.totalSize();
      epoch = h.partitionLeaderEpoch();
      timestamp = h.maxTimestamp();
      expectedBase = h.nextOffset();
      position += h.totalSize();
    }
    return new Scan(position, expectedBase, epoch, timestamp, bytesSince, failure);
  }

  /** Signals that the file ends inside a batch header. */
  private static final class TornHeaderException extends IOException {
    TornHeaderException(String message) {
      super(message);
    }
  }

  private BatchHeader readHeader(long position, long end) throws IOException {
    int want = (int) Math.min(BatchLayout.HEADER_BYTES, end - position);
    ByteBuffer buf = ByteBuffer.allocate(want);
    while (buf.hasRemaining()) {
      int n = channel.read(buf, position + buf.position());
      if (n < 0) {
        break;
      }
    }
    buf.flip();
    // Length and magic are checked on a partial header too, so garbage is named as such.
    BatchHeader.peekTotalSize(buf, headerLimit, logFile.toString(), position);
    BatchHeader h = BatchHeader.parse(buf, headerLimit, logFile.toString(), position);
    if (h == null) {
      throw new TornHeaderException(
          "torn batch header: only "
              + buf.remaining()
              + " of "
              + BatchLayout.HEADER_BYTES
              + " bytes");
    }
    return h;
  }

  /** True if bytes below {@link #size()} were written after the last completed force. */
  public boolean hasUnforcedBytes() {
    return size > forcedSize;
  }

  /**
   * Forces the batch bytes written so far through {@code syncer}, not the index (recovery rebuilds
   * the active segment's index after a crash). Forces of the same segment may run at once (a roll
   * and a flush); the covered size only grows.
   *
   * @return the size now durable
   */
  public long forceData(Syncer syncer) throws IOException {
    long target = size;
    if (target > forcedSize) {
      syncer.force(channel, logFile, target);
      raiseForcedSize(target);
    }
    return target;
  }

  private synchronized void raiseForcedSize(long covered) {
    if (covered > forcedSize && covered <= size) {
      forcedSize = covered;
    }
  }

  /** Forces the log and the index to disk: at roll, truncation and close. */
  public void flush(Syncer syncer) throws IOException {
    forceData(syncer);
    index.flush();
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      index.close();
    }
  }

  /** Closes the segment and deletes its files. */
  public void delete() throws IOException {
    close();
    Files.deleteIfExists(logFile);
    index.delete();
  }

  @Override
  public String toString() {
    return "LogSegment(" + logFile + ", size=" + size + ", next=" + nextOffset + ")";
  }
}
