package dev.sluice.log;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.SettingsException;
import dev.sluice.config.SettingsValidator;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.BatchValidator;
import dev.sluice.format.Compression;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.format.Header;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.format.SingleRecordLayout;
import dev.sluice.format.ValidatedBatch;
import dev.sluice.log.checkpoint.HighWatermarkFile;
import dev.sluice.log.checkpoint.OffsetCheckpoint;
import dev.sluice.log.epoch.EpochEndOffset;
import dev.sluice.log.epoch.EpochEntry;
import dev.sluice.log.epoch.LeaderEpochCache;
import dev.sluice.log.producer.ProducerStateException;
import dev.sluice.log.producer.ProducerStateSnapshots;
import dev.sluice.log.producer.ProducerStateTable;
import dev.sluice.log.producer.ProducerStateTable.ProducerState;
import dev.sluice.log.record.BatchFiles;
import dev.sluice.log.record.StagedBatch;
import dev.sluice.log.record.StreamingBatchWriter;
import dev.sluice.log.retention.RetentionPlan;
import dev.sluice.log.segment.BatchWriter;
import dev.sluice.log.segment.FileTransfer;
import dev.sluice.log.segment.LogSegment;
import dev.sluice.log.staging.StagedFile;
import dev.sluice.log.staging.StagingArea;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of one partition replica: a directory of segments ({@code <baseOffset>.log} + {@code
 * .index}) of Kafka RecordBatch v2 batches, the {@code high-watermark}, {@code log-start-offset}
 * and {@code leader-epochs} checkpoints, the {@code log-format} marker ({@link LogFormat}), a
 * {@code staging/} area and the {@code producer-state/} snapshots ({@link ProducerStateSnapshots}).
 *
 * <p>Invariants: segments are contiguous (each starts at the previous one's end offset) and hold
 * whole, validated batches only; {@code logStartOffset <= highWatermark <= logEndOffset}; the last
 * segment is the active one and the only one appended to. Older segments are flushed when the log
 * rolls past them. The high watermark only moves up, except when truncation cuts the log below it.
 * The leader-epoch history ({@link LeaderEpochCache}) describes exactly the batches in the log:
 * every append, truncation and retention pass updates it under the write lock, and recovery
 * reconciles it with the recovered segments.
 *
 * <p>{@link #open} recovers the directory first ({@link LogLoader}: a torn or corrupt tail is cut,
 * checkpoints are fitted to what survived). Retention's choice of segments is {@link
 * RetentionPlan}'s.
 *
 * <p>Idempotent producers: the log keeps a {@link ProducerStateTable} derived from the producer
 * fields of its batch headers. Every append path records the batches it writes in it (the leader's
 * and the follower's alike, in {@link #appendOne}), so a replica's table is its leader's for the
 * same log, and a new leader deduplicates what the old one acknowledged. Before a leader writes a
 * batch with a producer id, the table decides under the write lock: a retry of one of the
 * producer's last five batches writes nothing and is answered with the original offsets ({@link
 * AppendInfo#duplicate}), a batch out of sequence or of a fenced epoch writes nothing and throws
 * {@link ProducerStateException}. The table is snapshotted ({@link ProducerStateSnapshots}, in
 * {@code producer-state/}) at each segment roll, after the roll's force, and at close. Opening the
 * log loads the newest snapshot at or below the log end and replays the batch headers after it;
 * truncation deletes the snapshots above the cut and rebuilds the entries of the producers it cut
 * from the newest remaining snapshot and the headers after it; retention keeps the table as it is
 * and deletes the snapshots below the new log start except the newest. An entry therefore outlives
 * the deletion of its producer's batches, also across a restart, as long as a snapshot holds it; if
 * no snapshot can be read, the table is rebuilt from the batches left in the log, and a producer
 * whose batches were all deleted is forgotten: its next batch gets {@link
 * dev.sluice.log.producer.ProducerError#UNKNOWN_PRODUCER_ID} unless it starts at sequence 0 (as in
 * Kafka without its snapshots). Emptying the log (a truncation to or below its start, {@link
 * #truncateFullyAndStartAt}) forgets every producer and deletes the snapshots. Entries expire
 * {@link ProducerStateTable#DEFAULT_PRODUCER_ID_EXPIRATION} after their producer's newest batch
 * timestamp, checked at open and on each {@link #applyRetention} call.
 *
 * <p>Durability: writes and forces are separate. {@link #flush} forces every byte written before it
 * was called and raises {@link #flushedOffset}, below which offsets are on disk. With {@link
 * FlushPolicy#EVERY_BATCH} each append also forces before it returns, unless the appender took the
 * forces over with {@link #deferForces} (the partition leader, which lets one {@link #flush} cover
 * every append made while the previous one ran). Only the batch bytes are forced per append or
 * flush: the index of the active segment is forced at roll and close and rebuilt by recovery after
 * a crash. A failed force fails the log for good ({@link LogFailedException}): appends and flushes
 * throw and {@link #flushedOffset} never moves again, until the log is reopened.
 *
 * <p>Thread-safety: one writer at a time (appends, truncation, retention and close are serialised
 * on a lock) and any number of concurrent readers ({@link #read}, {@link #locate}, the offset
 * getters). The log end offset is volatile and moves only after a batch's bytes (and, when the
 * append forces, its fsync) are done, and readers never look past it. Readers and truncation or
 * segment deletion exclude each other on the structure lock of {@link Segments}; appends do not
 * take it, so a long append never blocks readers. {@link #flush} takes neither the write lock
 * (appends go on during the force) nor more than the structure lock's read side (no file is cut,
 * deleted or closed under it). Files named in a returned {@link LogSlice} may still be deleted or
 * cut after the read returns.
 */
public final class PartitionLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);

  public static final String HIGH_WATERMARK_FILE = "high-watermark";
  public static final String LOG_START_OFFSET_FILE = "log-start-offset";
  public static final String STAGING_DIR = "staging";

  /**
   * Set under the write lock by {@link #close}: a write that arrives afterwards (its replica's
   * actors may still be handling one while the node shuts down) is refused with {@link
   * LogClosedException} rather than failing on the closed segments.
   */
  private volatile boolean closed;

  /**
   * Leader appends stamped with an epoch below this are refused ({@link #fenceLeaderEpochsBelow});
   * written and read under the write lock.
   */
  private int fencedBelow = -1;

  /** Present while the log is closed cleanly; absent after a crash. */
  public static final String CLEAN_SHUTDOWN_FILE = "clean-shutdown";

  private final Path dir;

  /** Replaced whole by {@link #reconfigure}; segment geometry never changes after open. */
  private volatile StorageSettings settings;

  private final Clock clock;
  private final Segments segments;
  private final Object writeLock = new Object();
  private final Object highWatermarkLock = new Object();
  private final HighWatermarkFile highWatermarkFile;

  /** When the high-watermark record was last forced, by the injected clock. */
  private long highWatermarkForcedMillis;

  private final OffsetCheckpoint logStartCheckpoint;
  private final StagingArea staging;
  private final LeaderEpochCache epochs;

  /** Changed and read under {@link #writeLock} only. */
  private final ProducerStateTable producers;

  /** Written at each roll and at close, under {@link #writeLock}. */
  private final ProducerStateSnapshots snapshots;

  /** The leader's newest appended batches above the high watermark, for its followers. */
  private final RecentBatches recent;

  private final HighWatermarkWaiters highWatermarkWaiters =
      new HighWatermarkWaiters(this::highWatermark);

  private volatile long logEndOffset;
  private volatile long logStartOffset;
  private volatile long highWatermark;
  private volatile int latestLeaderEpoch;

  /**
   * Offsets below it are on disk (with {@link FlushPolicy#EVERY_BATCH}); raised by a completed
   * force, lowered only by truncation, both under {@link #flushedLock}.
   */
  private volatile long flushedOffset;

  private final Object flushedLock = new Object();

  /** Appends leave the force to {@link #flush}: the appender said it calls it. */
  private volatile boolean deferForces;

  private PartitionLog(
      Path dir,
      StorageSettings settings,
      Clock clock,
      LogLoader.LoadedLog loaded,
      RecentBatchBudget recentBudget) {
    this.dir = dir;
    this.recent = new RecentBatches(RecentBatches.MAX_BYTES, recentBudget);
    this.settings = settings;
    this.clock = clock;
    this.segments = loaded.segments();
    this.highWatermarkFile =
        new HighWatermarkFile(dir.resolve(HIGH_WATERMARK_FILE), segments.syncer());
    this.highWatermarkForcedMillis = clock.millis();
    this.logStartCheckpoint = new OffsetCheckpoint(dir.resolve(LOG_START_OFFSET_FILE));
    this.staging = loaded.staging();
    this.epochs = loaded.epochs();
    this.producers = loaded.producers();
    this.snapshots = new ProducerStateSnapshots(dir);
    producers.expire(clock.millis());
    this.logStartOffset = loaded.logStartOffset();
    this.logEndOffset = loaded.logEndOffset();
    this.highWatermark = loaded.highWatermark();
    this.latestLeaderEpoch = epochs.latestEpoch();
    // Recovery forced the active segment after a crash; a clean close forced everything.
    this.flushedOffset = loaded.logEndOffset();
  }

  /**
   * Opens the log in {@code dir} (creating it if missing) and recovers it.
   *
   * @throws SettingsException if {@code settings} break a storage rule of {@link
   *     SettingsValidator}, the rules a node checks at start-up
   * @throws UnsupportedLogFormatException if the directory holds a log in another format ({@link
   *     LogFormat}); nothing is changed
   */
  public static PartitionLog open(Path dir, StorageSettings settings, Clock clock)
      throws IOException {
    return open(dir, settings, clock, Syncer.FDATASYNC);
  }

  /**
   * As {@link #open(Path, StorageSettings, Clock)}, forcing segment data through {@code syncer}.
   * The log keeps up to 1 MiB of recent batches ({@link #recentBatches}) on a budget of its own.
   */
  public static PartitionLog open(Path dir, StorageSettings settings, Clock clock, Syncer syncer)
      throws IOException {
    return open(dir, settings, clock, syncer, new RecentBatchBudget(RecentBatches.MAX_BYTES));
  }

  /**
   * As {@link #open(Path, StorageSettings, Clock, Syncer)}, keeping its recent batches ({@link
   * #recentBatches}) on {@code recentBudget}, which the logs of a node share.
   */
  public static PartitionLog open(
      Path dir,
      StorageSettings settings,
      Clock clock,
      Syncer syncer,
      RecentBatchBudget recentBudget)
      throws IOException {
    SettingsValidator.requireValid(settings);
    Files.createDirectories(dir);
    LogFormat.require(dir);
    return new PartitionLog(
        dir, settings, clock, LogLoader.load(dir, settings, syncer), recentBudget);
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
   * Offsets below this are on disk: the end a completed force covered. With {@link FlushPolicy#OS}
   * nothing is promised and it is the log end offset, as every append counts as done. Never above
   * {@link #logEndOffset}; frozen once the log failed.
   */
  public long flushedOffset() {
    return settings.flush() == FlushPolicy.OS && segments.failure() == null
        ? logEndOffset
        : flushedOffset;
  }

  /** Why the log refuses appends (a failed force), if it does. */
  public Optional<LogFailedException> failure() {
    return Optional.ofNullable(segments.failure());
  }

  /**
   * With {@code true}, appends stop forcing even with {@link FlushPolicy#EVERY_BATCH}: the caller
   * takes over and calls {@link #flush}, and treats only offsets below {@link #flushedOffset} as
   * durable. The partition leader does this for its term, so that concurrent produce requests share
   * one force instead of each paying their own in series.
   */
  public void deferForces(boolean defer) {
    deferForces = defer;
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
    // Truncation and retention change the history with the structure locked.
    return segments.read(() -> epochs.endOffsetFor(epoch, logEndOffset));
  }

  /**
   * The leader-epoch history, oldest first (a snapshot). An inspection view: replication asks
   * {@link #endOffsetForEpoch} instead, but tests and diagnostics check with it how appends,
   * truncation and retention shaped the history.
   */
  public List<EpochEntry> leaderEpochs() {
    return epochs.entries();
  }

  /**
   * What the log holds of idempotent producer {@code producerId}: its epoch, its last batches
   * (sequences and offsets, oldest first, at most {@link ProducerStateTable#BATCHES_KEPT}) and its
   * newest batch timestamp; empty if the log knows no such producer (never seen, expired, or its
   * batches were cut or deleted before the log was last opened). An immutable snapshot, for tests
   * and status views; takes the write lock, so it waits for an append in progress.
   */
  public Optional<ProducerState> producerState(long producerId) {
    synchronized (writeLock) {
      return producers.get(producerId);
    }
  }

  /**
   * Every idempotent producer the log knows, as {@link #producerState} gives each, ordered by
   * producer id: how a test or a status view compares replicas' tables. Takes the write lock.
   */
  public List<ProducerState> producerStates() {
    synchronized (writeLock) {
      return producers.all().stream()
          .sorted(Comparator.comparingLong(ProducerState::producerId))
          .toList();
    }
  }

  public long sizeInBytes() {
    return segments.sizeInBytes();
  }

  public int segmentCount() {
    return segments.count();
  }

  public StorageSettings settings() {
    return settings;
  }

  /**
   * Applies new limits to an open log: retention (at the next {@link #applyRetention}), the batch
   * limit and the flush policy (from the next append on). A topic's own settings arrive this way.
   * The segment size and the index interval are fixed when the log opens, because the segments on
   * disk were cut by them.
   *
   * @throws IllegalArgumentException if {@code next} changes the segment size or the index interval
   * @throws dev.sluice.config.SettingsException if {@code next} breaks a storage rule
   */
  public void reconfigure(StorageSettings next) {
    if (next.equals(settings)) {
      return; // the usual case (every metadata snapshot repeats it): no lock, no append waits
    }
    SettingsValidator.requireValid(next);
    synchronized (writeLock) {
      StorageSettings current = settings;
      if (next.segmentBytes() != current.segmentBytes()
          || next.indexIntervalBytes() != current.indexIntervalBytes()) {
        throw new IllegalArgumentException(
            dir
                + ": segment-bytes and index-interval-bytes are fixed while the log is open ("
                + current.segmentBytes()
                + ", "
                + current.indexIntervalBytes()
                + "), got "
                + next.segmentBytes()
                + ", "
                + next.indexIntervalBytes());
      }
      if (!next.equals(current)) {
        settings = next;
        log.info(
            "{}: limits now max-batch-bytes {}, flush {}, retention bytes {}, retention time {}",
            dir,
            next.maxBatchBytes(),
            next.flush(),
            next.retentionBytes(),
            next.retentionTime());
      }
    }
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
   *
   * <p>The checkpoint is written in place before the value is published, so a reader never sees a
   * high watermark that a killed process would forget; it is forced when {@code
   * high-watermark-checkpoint-interval} has passed since the last force (checked on every call,
   * moved or not, so a caller that calls regularly keeps it forced) and at close.
   */
  public void updateHighWatermark(long hw) throws IOException {
    synchronized (highWatermarkLock) {
      long clamped = clamp(hw);
      if (clamped > highWatermark) {
        highWatermarkFile.write(clamped);
        highWatermark = clamped;
        recent.dropBelow(clamped);
      }
      forceHighWatermarkIfDue();
    }
    // Outside the lock: completing a future may run the waiter's code on this thread.
    highWatermarkWaiters.wakeUpTo(highWatermark);
  }

  /**
   * A future completed with the high watermark once it is above {@code offset}: at once if it
   * already is, else by the {@link #updateHighWatermark} that moves it there (leaders and followers
   * alike). Truncation that lowers the high watermark and {@link #close} complete every waiter with
   * the current high watermark, which may then be at or below {@code offset}: the waiter looks at
   * the log again instead of waiting for an offset that may never come. On a closed log the future
   * is complete at once.
   *
   * <p>The future completes on the thread that moved the high watermark (a replication thread):
   * chain work with the {@code ...Async} methods on an executor of the caller's. A caller that
   * stops waiting completes or cancels the future (e.g. {@link CompletableFuture#orTimeout}), which
   * forgets the waiter.
   */
  public CompletableFuture<Long> awaitHighWatermarkAbove(long offset) {
    return highWatermarkWaiters.await(offset);
  }

  /** Waiters of {@link #awaitHighWatermarkAbove} not yet completed (diagnostics and tests). */
  public int highWatermarkWaiterCount() {
    return highWatermarkWaiters.pending();
  }

  /**
   * Forces the high-watermark record if it changed and {@code high-watermark-checkpoint-interval}
   * has passed since the last force: what the leader's periodic check calls, so that an idle
   * partition's last move is forced too.
   *
   * @return true if it forced
   */
  public boolean checkpointHighWatermarkIfDue() throws IOException {
    synchronized (highWatermarkLock) {
      return forceHighWatermarkIfDue();
    }
  }

  /** Forces the high-watermark record now if it changed since the last force. */
  public boolean checkpointHighWatermark() throws IOException {
    synchronized (highWatermarkLock) {
      highWatermarkForcedMillis = clock.millis();
      return highWatermarkFile.force();
    }
  }

  private boolean forceHighWatermarkIfDue() throws IOException {
    long now = clock.millis();
    if (now - highWatermarkForcedMillis < settings.highWatermarkCheckpointInterval().toMillis()) {
      return false;
    }
    highWatermarkForcedMillis = now;
    return highWatermarkFile.force();
  }

  private long clamp(long offset) {
    return Math.max(logStartOffset, Math.min(offset, logEndOffset));
  }

  // ---- appends ----

  /**
   * Size of a one-record batch with a value of {@code valueLength} bytes, so a caller can refuse a
   * value before receiving it all (the timestamp does not change the size of a one-record batch).
   */
  public static long batchSizeFor(byte[] key, List<Header> headers, long valueLength) {
    return SingleRecordLayout.of(key, valueLength, headers, 0).totalSize();
  }

  /**
   * Appends {@code records} as one uncompressed v2 batch with offsets from the log end offset
   * (leader path). The records' timestamps are their CreateTime; the batch is built outside the
   * write lock and stamped with the base offset and {@code leaderEpoch} under it.
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
    ByteBuffer batch = MemoryBatchBuilder.build(records, Compression.NONE);
    BatchHeader built = BatchHeader.parse(batch, segments.storedBatchLimit(), "new batch", 0);
    return appendStamped(batch, built, leaderEpoch);
  }

  /**
   * Appends a batch as a producer sent it (Kafka's RecordBatch v2, base offset and partition leader
   * epoch as the producer left them), after checking it whole: the header by the producer rules
   * ({@link BatchHeader#validateProduced}), the CRC, and every record. The leader stamps the base
   * offset and {@code leaderEpoch} (bytes outside the CRC, so the producer's CRC is kept); nothing
   * else is rewritten. A compressed batch is stored compressed, as received; its records were
   * checked decompressed. The caller's buffer is left as it was: the log stamps a copy.
   *
   * <p>A batch with a producer id (an idempotent producer's) is checked against the producers'
   * state under the write lock before anything is written ({@link ProducerStateTable#check}). A
   * retry of one of that producer's last five batches writes nothing and returns {@link
   * AppendInfo#duplicateOf} with the offsets the original got (which may still be above the high
   * watermark).
   *
   * @throws RecordTooLargeException if the batch exceeds {@code max-batch-bytes}; nothing is
   *     written
   * @throws CorruptRecordException if the batch breaks a rule; nothing is written
   * @throws ProducerStateException if the batch breaks a sequence or epoch rule of its producer;
   *     nothing is written
   */
  public AppendInfo appendProducerBatch(ByteBuffer producerBatch, int leaderEpoch)
      throws IOException {
    checkLeaderEpoch(leaderEpoch);
    checkBatchSize(producerBatch.remaining());
    ByteBuffer copy = ByteBuffer.allocate(producerBatch.remaining());
    copy.put(producerBatch.duplicate()).flip();
    BatchValidator validator =
        new BatchValidator(
            BatchLimit.maxBatchBytes(settings.maxBatchBytes()), "produced batch for " + dir);
    validator.accept(copy);
    return appendValidatedBatch(validator.finish(copy), leaderEpoch);
  }

  /**
   * Appends a produced batch that {@link BatchValidator} already checked whole while it arrived
   * (the HTTP body reader does): as {@link #appendProducerBatch}, without reading its bytes again
   * and without a copy. The log takes the batch's buffer and stamps its base offset and {@code
   * leaderEpoch} in place; it keeps the buffer for its followers ({@link #recentBatches}), so the
   * caller must not write to it again, nor reuse it for another batch.
   *
   * @throws RecordTooLargeException if the batch exceeds {@code max-batch-bytes}; nothing is
   *     written
   * @throws ProducerStateException if the batch breaks a sequence or epoch rule of its producer;
   *     nothing is written
   */
  public AppendInfo appendValidatedBatch(ValidatedBatch batch, int leaderEpoch) throws IOException {
    checkLeaderEpoch(leaderEpoch);
    checkBatchSize(batch.header().totalSize());
    return appendStamped(batch.buffer(), batch.header(), leaderEpoch);
  }

  /** Stamps the in-memory {@code batch} with the log end offset and the epoch, and appends it. */
  private AppendInfo appendStamped(ByteBuffer batch, BatchHeader built, int leaderEpoch)
      throws IOException {
    synchronized (writeLock) {
      checkNotFailed();
      checkNotFenced(leaderEpoch);
      AppendInfo duplicate = checkProducer(built);
      if (duplicate != null) {
        return duplicate;
      }
      BatchFiles.stamp(batch, logEndOffset, leaderEpoch);
      BatchHeader header = BatchFiles.stamped(built, logEndOffset, leaderEpoch);
      appendOne(header, (ch, pos) -> FileTransfer.writeFully(ch, batch.duplicate(), pos));
      AppendInfo info = commit(header.baseOffset(), header.lastOffset(), header.totalSize());
      // Kept after the log end moved past it (a reader never finds a batch beyond the end) and
      // before the append returns (the leader wakes its followers' streams after that).
      recent.add(header.baseOffset(), header.lastOffset(), batch.duplicate());
      recent.dropBelow(highWatermark); // in case the high watermark passed it meanwhile
      return info;
    }
  }

  /**
   * Appends one record whose value is the whole content of {@code valueFile}, streamed in bounded
   * memory (leader path): the value is read once for the CRC before the write lock is taken and
   * copied with {@code transferTo} under it.
   *
   * @param timestamp the record's CreateTime, epoch millis
   * @throws RecordTooLargeException if the batch exceeds {@code max-batch-bytes}; nothing is
   *     written
   */
  public AppendInfo appendValueFile(
      byte[] key, List<Header> headers, Path valueFile, long timestamp, int leaderEpoch)
      throws IOException {
    checkLeaderEpoch(leaderEpoch);
    try (FileChannel value = FileChannel.open(valueFile, StandardOpenOption.READ)) {
      long valueLength = value.size();
      checkBatchSize(batchSizeFor(key, headers, valueLength));
      StreamingBatchWriter writer = StreamingBatchWriter.of(key, headers, valueLength, timestamp);
      // The CRC does not cover the base offset: read the value for it before taking the lock.
      writer.computeValueCrc(value);
      synchronized (writeLock) {
        checkNotFailed();
        checkNotFenced(leaderEpoch);
        long base = logEndOffset;
        BatchHeader header = BatchFiles.stamped(writer.header(), base, leaderEpoch);
        appendOne(header, (ch, pos) -> writer.writeFromFile(value, ch, pos, base, leaderEpoch));
        return commit(header.baseOffset(), header.lastOffset(), header.totalSize());
      }
    }
  }

  /**
   * Appends a one-record batch that {@link StreamingBatchWriter} wrote to a staging file as its
   * value arrived (leader path), and deletes the file. Its CRC was computed as it was written, so
   * it is not read for a check: the first 16 bytes are written stamped with the base offset and
   * {@code leaderEpoch}, the rest is copied with {@code transferTo}.
   *
   * @throws RecordTooLargeException if the batch exceeds {@code max-batch-bytes}; nothing is
   *     written
   */
  public AppendInfo appendStreamedBatch(StagedBatch staged, int leaderEpoch) throws IOException {
    checkLeaderEpoch(leaderEpoch);
    BatchHeader built = staged.header();
    try (FileChannel src = FileChannel.open(staged.file(), StandardOpenOption.READ)) {
      checkBatchSize(built.totalSize());
      if (src.size() != built.totalSize()) {
        throw CorruptRecordException.at(
            staged.file().toString(),
            0,
            "file size " + src.size() + " does not match batch size " + built.totalSize());
      }
      synchronized (writeLock) {
        checkNotFailed();
        checkNotFenced(leaderEpoch);
        AppendInfo duplicate = checkProducer(built);
        if (duplicate != null) {
          return duplicate;
        }
        long base = logEndOffset;
        BatchHeader header = BatchFiles.stamped(built, base, leaderEpoch);
        int stampBytes =
            BatchLayout.PARTITION_LEADER_EPOCH_OFFSET + BatchLayout.PARTITION_LEADER_EPOCH_LENGTH;
        ByteBuffer stamp = ByteBuffer.allocate(stampBytes);
        stamp.putLong(BatchLayout.BASE_OFFSET_OFFSET, base);
        stamp.putInt(BatchLayout.BATCH_LENGTH_OFFSET, built.batchLength());
        stamp.putInt(BatchLayout.PARTITION_LEADER_EPOCH_OFFSET, leaderEpoch);
        appendOne(
            header,
            (ch, pos) -> {
              FileTransfer.writeFully(ch, stamp, pos);
              FileTransfer.copy(
                  src, stampBytes, built.totalSize() - stampBytes, ch, pos + stampBytes);
            });
        return commit(header.baseOffset(), header.lastOffset(), header.totalSize());
      }
    } finally {
      Files.deleteIfExists(staged.file());
    }
  }

  /**
   * The producer rules for a batch a leader is about to write (callers hold {@link #writeLock}):
   * null to write it, the answer to give if it is a duplicate; throws if it breaks a rule.
   */
  private AppendInfo checkProducer(BatchHeader batch) {
    ProducerStateTable.Verdict verdict = producers.check(batch);
    if (verdict instanceof ProducerStateTable.Duplicate d) {
      log.debug(
          "{}: batch of producer {} epoch {} sequences {}..{} is a retry of offsets {}..{}; not"
              + " written again",
          dir,
          batch.producerId(),
          batch.producerEpoch(),
          batch.baseSequence(),
          batch.lastSequence(),
          d.original().baseOffset(),
          d.original().lastOffset());
      return AppendInfo.duplicateOf(
          d.original().baseOffset(), d.original().lastOffset(), logEndOffset);
    }
    if (verdict instanceof ProducerStateTable.Refused r) {
      throw new ProducerStateException(
          r.error(),
          batch.producerId(),
          r.expectedSequence(),
          dir
              + ": refusing batch of producer "
              + batch.producerId()
              + " epoch "
              + batch.producerEpoch()
              + " sequences "
              + batch.baseSequence()
              + ".."
              + batch.lastSequence()
              + " ("
              + r.error()
              + "): "
              + r.reason());
    }
    return null;
  }

  private void checkLeaderEpoch(int leaderEpoch) {
    if (leaderEpoch < 0) {
      throw new IllegalArgumentException(
          dir + ": a leader appends with its epoch, not with the negative epoch " + leaderEpoch);
    }
  }

  /**
   * From now on refuses leader appends stamped with an epoch below {@code epoch} ({@link
   * FencedLeaderEpochException}, nothing written): called when this node stops leading because
   * {@code epoch} went to another leader. Taken under the write lock, so an append in progress
   * finishes first and none of the deposed epoch follows: the follower that starts afterwards reads
   * a log end no old-epoch append can move. Only raises the fence; follower appends (whose batches
   * keep the epochs the leader stamped) are not affected.
   */
  public void fenceLeaderEpochsBelow(int epoch) {
    synchronized (writeLock) {
      fencedBelow = Math.max(fencedBelow, epoch);
    }
  }

  /** Under the write lock: throws if {@code leaderEpoch} was fenced. */
  private void checkNotFenced(int leaderEpoch) {
    if (leaderEpoch < fencedBelow) {
      throw new FencedLeaderEpochException(
          dir
              + ": refusing a leader append of epoch "
              + leaderEpoch
              + ": epoch "
              + fencedBelow
              + " belongs to another leader; nothing was written");
    }
  }

  private void checkBatchSize(long size) {
    long limit = settings.maxBatchBytes();
    if (size > limit) {
      throw new RecordTooLargeException(size, limit);
    }
  }

  /**
   * Appends complete batches in their on-disk form, as received from the leader (follower path):
   * checks every batch ({@link ReplicatedBatches}) and that they continue the log end offset,
   * before writing anything; then appends them keeping the leader's offsets and epochs. The
   * producers' state records each batch as it is, without the producer rules: the leader applied
   * them, and the follower's table must become the leader's.
   *
   * @throws CorruptRecordException if a batch is invalid or the buffer ends inside a batch
   * @throws OffsetMismatchException if the batches do not start at the log end offset or leave a
   *     gap between them
   */
  public AppendInfo appendBatches(ByteBuffer wholeBatches) throws IOException {
    return appendBatches(List.of(wholeBatches));
  }

  /**
   * {@link #appendBatches(ByteBuffer)} for bytes scattered over {@code pieces}, read in order, each
   * from its position to its limit (left unchanged): the buffers a frame arrived in. A batch may
   * span pieces. The pieces' bytes are checked and written where they are, one positional write per
   * piece of a batch, never gathered into one buffer first.
   */
  public AppendInfo appendBatches(List<ByteBuffer> pieces) throws IOException {
    ReplicatedBatches.Checked in =
        ReplicatedBatches.inPieces(
            pieces, segments.storedBatchLimit(), "replicated batches for " + dir);
    List<BatchHeader> headers = in.headers();
    synchronized (writeLock) {
      checkNotFailed();
      in.checkContinues(logEndOffset, dir.toString());
      int written = 0;
      long bytes = 0;
      try {
        for (; written < headers.size(); written++) {
          List<ByteBuffer> slices = in.batches().get(written);
          appendOne(headers.get(written), (ch, pos) -> writeSlices(slices, ch, pos));
          bytes += headers.get(written).totalSize();
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
      return commit(headers.get(0).baseOffset(), last.lastOffset(), in.bytes());
    }
  }

  private static void writeSlices(List<ByteBuffer> slices, FileChannel segment, long position)
      throws IOException {
    long p = position;
    for (ByteBuffer slice : slices) {
      FileTransfer.writeFully(segment, slice.duplicate(), p);
      p += slice.remaining();
    }
  }

  /**
   * Appends the single complete batch held in {@code batchFile} (an oversized batch staged from
   * chunks), copying it with {@code transferTo} in bounded memory. Checks as {@link
   * #appendBatches}; the file must hold exactly one batch.
   */
  public AppendInfo appendBatch(Path batchFile) throws IOException {
    return appendBatch(batchFile, OptionalInt.empty());
  }

  /**
   * {@link #appendBatch(Path)}, checking the batch's CRC against {@code coveredCrc} if present
   * instead of reading the file for it.
   */
  private AppendInfo appendBatch(Path batchFile, OptionalInt coveredCrc) throws IOException {
    try (FileChannel src = FileChannel.open(batchFile, StandardOpenOption.READ)) {
      BatchHeader h =
          ReplicatedBatches.inFile(
              src, segments.storedBatchLimit(), batchFile.toString(), coveredCrc);
      synchronized (writeLock) {
        checkNotFailed();
        if (h.baseOffset() != logEndOffset) {
          throw new OffsetMismatchException(dir.toString(), logEndOffset, h.baseOffset());
        }
        appendOne(h, (ch, pos) -> FileTransfer.copy(src, 0, h.totalSize(), ch, pos));
        return commit(h.baseOffset(), h.lastOffset(), h.totalSize());
      }
    }
  }

  /**
   * {@link #appendBatch} from a completed staged batch, which is deleted afterwards. Its CRC is the
   * one the staged file computed as the chunks arrived ({@link StagedFile#coveredCrc}), so the
   * staged bytes are read once, by the copy into the segment.
   */
  public AppendInfo appendStagedBatch(StagedFile staged) throws IOException {
    try {
      OptionalInt crc = OptionalInt.of(staged.coveredCrc());
      staged.close();
      return appendBatch(staged.path(), crc);
    } finally {
      staged.abort();
    }
  }

  /**
   * Writes one batch into the active segment, rolling first if it would not fit. Every append path
   * comes through here, so this is where the leader-epoch history learns about new epochs: before
   * any byte of the batch is written, and undone if the batch is not. The producers' state learns
   * about the batch once it is in the segment, on leaders and followers alike, and is snapshotted
   * when the log rolls.
   */
  private void appendOne(BatchHeader header, BatchWriter writer) throws IOException {
    epochs.assign(header.partitionLeaderEpoch(), header.baseOffset());
    try {
      LogSegment before = segments.active();
      LogSegment target = segments.activeFor(header);
      if (target != before) {
        snapshotProducers(target.baseOffset(), before.baseOffset());
      }
      target.append(header, writer);
    } catch (IOException | RuntimeException e) {
      try {
        epochs.truncateFromEnd(header.baseOffset());
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    producers.update(header);
  }

  /**
   * Forces as the policy asks (unless {@link #deferForces}), then publishes the new log end offset
   * to readers.
   */
  private AppendInfo commit(long baseOffset, long lastOffset, long bytes) throws IOException {
    boolean force = settings.flush() == FlushPolicy.EVERY_BATCH && !deferForces;
    if (force) {
      segments.read(
          () -> {
            segments.forceUnforced();
            return null;
          });
    }
    latestLeaderEpoch = epochs.latestEpoch();
    logEndOffset = lastOffset + 1;
    if (force) {
      raiseFlushedOffset(logEndOffset);
    }
    return new AppendInfo(baseOffset, lastOffset, bytes, logEndOffset);
  }

  /**
   * Writes the producers' snapshot at {@code offset}, the log end, and deletes the ones above
   * {@code supersededAbove} below it: recovery and truncation need only the newest of those. A
   * failure is logged and costs only a longer replay at the next open or truncation.
   */
  private void snapshotProducers(long offset, long supersededAbove) {
    try {
      snapshots.write(offset, producers.all());
      snapshots.deleteBetween(supersededAbove, offset);
    } catch (IOException e) {
      log.warn(
          "{}: could not write the producer-state snapshot at offset {} (the next open replays"
              + " more of the log instead): {}",
          dir,
          offset,
          e.toString());
    }
  }

  /**
   * Throws if a failed force failed the log, or if the log was closed; appends call it before
   * writing anything.
   */
  private void checkNotFailed() throws LogFailedException {
    if (closed) {
      throw new LogClosedException(
          dir
              + ": refusing to write: the log is closed (its replica stopped); nothing was written");
    }
    LogFailedException f = segments.failure();
    if (f != null) {
      throw new LogFailedException(
          dir
              + ": refusing to write: the log failed when an "
              + f.getMessage()
              + "; reopen the log (restart the node) to recover it",
          f);
    }
  }

  private void raiseFlushedOffset(long end) {
    synchronized (flushedLock) {
      if (segments.failure() == null && end > flushedOffset) {
        flushedOffset = end;
      }
    }
  }

  private void lowerFlushedOffset(long end) {
    synchronized (flushedLock) {
      flushedOffset = Math.min(flushedOffset, end);
    }
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
        offset,
        Segments.perSegment(batches.slices()),
        batches.logEndOffset(),
        batches.highWatermark());
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
    List<LogSlice> slices = segments.read(() -> segments.readBatches(offset, maxBytes, end));
    if (slices == null) {
      // Retention moved the log start past the offset since the check above.
      checkRange(offset, end);
      throw new OffsetOutOfRangeException(dir.toString(), offset, logStartOffset, end);
    }
    return new FetchResult(offset, slices, end, hw);
  }

  /**
   * The newest batches this log appended as leader from memory ({@link #appendRecords}, {@link
   * #appendProducerBatch}, {@link #appendValidatedBatch}), from the one starting at {@code offset}:
   * as many whole batches as fit {@code maxBytes}, in order, exactly the bytes written. None if no
   * such batch starts at {@code offset}: it is below the high watermark (every in-sync follower has
   * it), was written another way (a follower's append, a value or batch from a file), was pushed
   * out by newer ones beyond 1 MiB of the partition, did not fit the node's {@link
   * RecentBatchBudget}, or alone exceeds {@code maxBytes}; the caller then reads the segment files
   * ({@link #readBatches}). Never past the log end. Memory only: no file is touched, so it may be
   * called on any thread.
   */
  public List<RecentBatch> recentBatches(long offset, long maxBytes) {
    return recent.read(offset, maxBytes, logEndOffset);
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
    return segments.read(() -> segments.bytesFrom(Math.max(offset, logStartOffset)));
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
    return segments.read(() -> segments.locate(offset));
  }

  // ---- truncation and retention ----

  /**
   * Removes every record at and above {@code offset}. The cut is at a batch boundary: if {@code
   * offset} falls inside a batch, that whole batch goes and the log end offset becomes its base
   * offset. If {@code offset <= logStartOffset} the log is emptied and restarts at {@code offset}.
   * The high watermark is clamped to the new log end.
   */
  public void truncateTo(long offset) throws IOException {
    try {
      synchronized (writeLock) {
        if (offset >= logEndOffset) {
          return;
        }
        recent.clear();
        segments.restructure(
            () -> {
              if (offset <= logStartOffset) {
                resetTo(offset);
                cutState();
              } else {
                try {
                  segments.truncateTo(offset);
                } finally {
                  // The file may be cut even if forcing the cut failed (a failed log): the
                  // offsets follow what the segments hold, never what they held before.
                  logEndOffset = segments.active().nextOffset();
                  cutState();
                }
              }
            });
        staging.discardResumables();
        log.info("{}: truncated to offset {} (log end offset now {})", dir, offset, logEndOffset);
      }
    } finally {
      lowerHighWatermarkToLogEnd();
    }
  }

  /**
   * After a cut: the epochs, the producers' state and the flushed offset follow the new log end.
   */
  private void cutState() throws IOException {
    epochs.truncateFromEnd(logEndOffset);
    latestLeaderEpoch = epochs.latestEpoch();
    // No flush is running (it holds the structure lock's read side), so none can raise this
    // again with an end read before the cut.
    lowerFlushedOffset(logEndOffset);
    cutProducers(logEndOffset);
  }

  /**
   * Deletes the snapshots above {@code end} and rebuilds the entries of the producers that had
   * batches at or above it: as the newest remaining snapshot holds them, replayed with the headers
   * after that snapshot (callers hold the structure lock's write side). The other entries are what
   * the remaining log makes them already, and are kept even if retention deleted their batches; a
   * cut of batches without producer ids reads no header.
   */
  private void cutProducers(long end) throws IOException {
    snapshots.deleteAbove(end);
    Set<Long> cut = producers.producersWithBatchesFrom(end);
    if (cut.isEmpty()) {
      return;
    }
    cut.forEach(producers::remove);
    Optional<ProducerStateSnapshots.Snapshot> snapshot = snapshots.loadNewest(end);
    snapshot.ifPresent(
        s ->
            s.entries().stream()
                .filter(e -> cut.contains(e.producerId()))
                .forEach(producers::restore));
    segments.forEachBatchHeaderFrom(
        snapshot.map(ProducerStateSnapshots.Snapshot::offset).orElse(0L),
        h -> {
          if (cut.contains(h.producerId())) {
            producers.update(h);
          }
        });
    log.debug("{}: rebuilt the state of {} producers after the cut at {}", dir, cut.size(), end);
  }

  private void lowerHighWatermarkToLogEnd() throws IOException {
    boolean lowered = false;
    try {
      synchronized (highWatermarkLock) {
        long end = logEndOffset;
        if (highWatermark > end) {
          lowered = true;
          cutHighWatermark(end);
        }
      }
    } finally {
      if (lowered) {
        highWatermarkWaiters.wakeAll();
      }
    }
  }

  /**
   * Writes and publishes the high watermark of a cut log (at most its new end), then forces it.
   * Published even when the write or the force fails (a failed log's forces all fail): a lower
   * value is always safe to show, and a reader must never see a high watermark above the log end.
   * Forced at once: after a power loss a high watermark above a cut would vouch for whatever is
   * appended there next. Callers hold {@link #highWatermarkLock}.
   */
  private void cutHighWatermark(long to) throws IOException {
    try {
      highWatermarkFile.write(to);
    } finally {
      highWatermark = to;
    }
    highWatermarkFile.force();
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
      recent.clear();
      segments.restructure(() -> resetTo(offset));
      staging.discardResumables();
      log.info("{}: emptied; log restarts at offset {}", dir, offset);
    }
    try {
      synchronized (highWatermarkLock) {
        cutHighWatermark(offset);
      }
    } finally {
      highWatermarkWaiters.wakeAll();
    }
  }

  private void resetTo(long offset) throws IOException {
    segments.deleteAll();
    long start = Math.max(0, offset);
    logStartCheckpoint.write(start);
    segments.create(start);
    logStartOffset = start;
    logEndOffset = start;
    epochs.clear();
    producers.clear();
    snapshots.deleteAll();
    latestLeaderEpoch = epochs.latestEpoch();
    synchronized (flushedLock) {
      flushedOffset = start; // an empty log: nothing to lose
    }
  }

  /**
   * Deletes the old segments {@link RetentionPlan} picks: while the log is over {@code
   * retention-bytes}, or while their newest batch is older than {@code retention-time} by the
   * injected clock (the file's mtime if the timestamp is unknown); never the active segment, never
   * one at or above the high watermark. Advances and checkpoints the log start offset. The
   * producers' state is kept whole (an entry may outlive its batches), and its expired entries are
   * dropped first, whether or not retention is set: every replica calls this on its check tick.
   *
   * @return the number of segments deleted
   */
  public int applyRetention() throws IOException {
    synchronized (writeLock) {
      int expired = producers.expire(clock.millis());
      if (expired > 0) {
        log.info("{}: {} idempotent producers expired", dir, expired);
      }
      if (!settings.retains()) {
        return 0;
      }
      List<LogSegment> all = segments.all();
      int count =
          RetentionPlan.segmentsToDelete(
              Segments.retentionFacts(all), highWatermark, settings, clock.millis());
      if (count == 0) {
        return 0;
      }
      List<LogSegment> doomed = all.subList(0, count);
      long newStart = all.get(count).baseOffset();
      // Checkpoint first: after a crash between the two steps, the start offset already hides
      // the segments that were about to go, and the next retention pass deletes them.
      logStartCheckpoint.write(newStart);
      segments.restructure(
          () -> {
            logStartOffset = newStart;
            epochs.truncateFromStart(newStart);
            segments.deleteOldest(doomed);
          });
      snapshots.deleteBelowKeepingNewest(newStart);
      log.info("{}: retention deleted {} segments; log start offset now {}", dir, count, newStart);
      return count;
    }
  }

  // ---- lifecycle ----

  /**
   * Forces every byte written before the call (fdatasync of each segment with unforced bytes, not
   * the index) and raises {@link #flushedOffset} to the log end offset read when it started. Does
   * not hold the write lock while forcing: appends made meanwhile may or may not be forced, and are
   * covered by the next call. Thread-safe; callers need not serialise their calls.
   *
   * @return the offset now durable ({@link #flushedOffset})
   * @throws LogFailedException if the force failed now or earlier; the log is failed for good
   */
  public long flush() throws IOException {
    checkNotFailed();
    return segments.read(
        () -> {
          // Read before the force: bytes appended later are never counted, even when the force
          // happens to carry them.
          long end = logEndOffset;
          segments.forceUnforced();
          raiseFlushedOffset(end);
          return flushedOffset;
        });
  }

  @Override
  public void close() throws IOException {
    highWatermarkWaiters.close();
    synchronized (writeLock) {
      closed = true;
      recent.clear();
      segments.restructure(
          () -> {
            if (segments.isEmpty()) {
              return;
            }
            if (segments.failure() != null) {
              // No clean-shutdown marker: recovery must check (and force) what is on disk.
              segments.closeAll();
              synchronized (highWatermarkLock) {
                try {
                  highWatermarkFile.close();
                } catch (LogFailedException expected) {
                  // Every force of a failed log fails; the record written stays in the page
                  // cache, and closing must not fail for what already failed the log.
                }
              }
              return;
            }
            segments.active().flush(segments.syncer());
            snapshotProducers(logEndOffset, segments.active().baseOffset());
            segments.closeAll();
            synchronized (highWatermarkLock) {
              highWatermarkFile.close();
            }
            // Written last: its presence promises that every segment is whole and flushed.
            Files.write(dir.resolve(CLEAN_SHUTDOWN_FILE), new byte[0]);
            OffsetCheckpoint.forceDirectory(dir);
          });
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
