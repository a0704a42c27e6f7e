package dev.sluice.log;

import dev.sluice.config.FlushPolicy;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.checkpoint.HighWatermarkFile;
import dev.sluice.log.checkpoint.OffsetCheckpoint;
import dev.sluice.log.epoch.LeaderEpochCache;
import dev.sluice.log.producer.ProducerStateSnapshots;
import dev.sluice.log.producer.ProducerStateTable;
import dev.sluice.log.segment.LogSegment;
import dev.sluice.log.segment.SegmentFiles;
import dev.sluice.log.staging.StagingArea;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a partition directory and recovers it, for {@link PartitionLog#open}.
 *
 * <p>Leftovers go first: temporary checkpoint files and indexes without a log file are deleted. The
 * active segment is then checked batch by batch (header and CRC) and a torn or corrupt tail is cut
 * at the last good batch (with a WARN naming file, position and reason). After a clean shutdown
 * (the {@code clean-shutdown} marker, written by {@link PartitionLog#close} after the final flush)
 * the check starts at the last index entry, which is cheap; after a crash it covers the whole
 * active segment and rebuilds its index, because unforced bytes (any with {@link FlushPolicy#OS},
 * and the tail a group commit had not forced yet) may be damaged and may start before the last
 * index entry, and the index itself is forced only at roll and close. After a crash the recovered
 * active segment is then forced once, so that the log can call all of it durable. Older segments
 * are trusted (they were flushed at roll) and only their index and last batches' headers are
 * checked, which keeps opening a large log quick. If an older segment turns out damaged after all
 * (an impossible header, a torn batch, or an end offset that does not meet the next segment), the
 * log is cut there and the later segments are deleted: a log with a hole cannot be served, and a
 * follower re-fetches what was cut from its leader.
 *
 * <p>The checkpoints are then fitted to the recovered segments: the log start offset into the first
 * segment, the leader-epoch history to the batches ({@link LeaderEpochCache#recover}), and the high
 * watermark into {@code [logStartOffset, logEndOffset]} (rewritten, with a WARN, if it was outside;
 * a torn high-watermark record reads as absent, with a WARN, and the log start is used). The
 * idempotent producers' state ({@link ProducerStateTable}) is the newest snapshot at or below the
 * log end ({@link ProducerStateSnapshots}; the one written at close after a clean shutdown, the one
 * of the last roll after a crash) replayed with the headers of the batches after it (61 bytes read
 * per batch, larger batches skipped over); without a snapshot every batch header of the log is
 * read. Last, the staging area drops what can no longer be appended.
 *
 * <p>Runs on the thread that opens the log, before the log is shared.
 */
final class LogLoader {
  /** The log's own logger: what recovery did is part of the log's story. */
  private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);

  /** What recovery hands to the log: its segments and where its offsets stand. */
  record LoadedLog(
      Segments segments,
      long logStartOffset,
      long logEndOffset,
      long highWatermark,
      LeaderEpochCache epochs,
      ProducerStateTable producers,
      StagingArea staging) {}

  private final Path dir;
  private final Segments segments;

  private LogLoader(Path dir, Segments segments) {
    this.dir = dir;
    this.segments = segments;
  }

  /** Recovers the log in {@code dir}; on failure every segment it opened is closed again. */
  static LoadedLog load(Path dir, StorageSettings settings, Syncer syncer) throws IOException {
    Segments segments = new Segments(dir, settings, syncer);
    try {
      return new LogLoader(dir, segments).load();
    } catch (IOException | RuntimeException e) {
      try {
        segments.closeAll();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private LoadedLog load() throws IOException {
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
    boolean cleanShutdown = Files.deleteIfExists(dir.resolve(PartitionLog.CLEAN_SHUTDOWN_FILE));
    OffsetCheckpoint logStartCheckpoint =
        new OffsetCheckpoint(dir.resolve(PartitionLog.LOG_START_OFFSET_FILE));
    OptionalLong checkpointedStart = logStartCheckpoint.read();
    if (bases.isEmpty()) {
      segments.create(Math.max(0, checkpointedStart.orElse(0)));
    } else {
      if (!cleanShutdown) {
        log.info("{}: no clean shutdown marker; checking the whole active segment", dir);
      }
      openSegments(new ArrayList<>(bases), !cleanShutdown);
      if (!cleanShutdown) {
        // A process crash leaves written but unforced bytes in the page cache, where the scan
        // found them whole; they become durable only now, and the log reports them as such.
        LogSegment active = segments.active();
        segments.syncer().force(active.channel(), active.logFile(), active.size());
      }
    }
    long logEndOffset = segments.active().nextOffset();
    long firstBase = segments.firstBaseOffset();
    long logStartOffset =
        Math.min(logEndOffset, Math.max(firstBase, checkpointedStart.orElse(firstBase)));
    LeaderEpochCache epochs = LeaderEpochCache.recover(dir, segments.view(), logStartOffset);
    long highWatermark = recoverHighWatermark(logStartOffset, logEndOffset);
    ProducerStateTable producers = recoverProducers(logEndOffset);
    StagingArea staging = StagingArea.open(dir.resolve(PartitionLog.STAGING_DIR), logEndOffset);
    log.debug(
        "{}: opened with {} segments, offsets [{}, {}), high watermark {}, {} producers",
        dir,
        segments.count(),
        logStartOffset,
        logEndOffset,
        highWatermark,
        producers.size());
    return new LoadedLog(
        segments, logStartOffset, logEndOffset, highWatermark, epochs, producers, staging);
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

  /**
   * Opens the segments oldest first; the last one is the active one, checked with CRCs. Stops at
   * the first older segment that is damaged or does not meet the next one, deleting the later ones.
   */
  private void openSegments(List<Long> ordered, boolean afterCrash) throws IOException {
    for (int i = 0; i < ordered.size(); i++) {
      long base = ordered.get(i);
      boolean last = i == ordered.size() - 1;
      LogSegment segment = segments.open(base, last, last && afterCrash);
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

  /**
   * The producers' state at {@code logEndOffset}: the newest snapshot at or below it, brought up to
   * date with the batch headers after it (all of them without a snapshot). Snapshots above the
   * recovered end describe batches that are gone, and are deleted first.
   */
  private ProducerStateTable recoverProducers(long logEndOffset) throws IOException {
    ProducerStateSnapshots snapshots = new ProducerStateSnapshots(dir);
    snapshots.deleteLeftovers();
    snapshots.deleteAbove(logEndOffset);
    ProducerStateTable producers = new ProducerStateTable();
    Optional<ProducerStateSnapshots.Snapshot> snapshot = snapshots.loadNewest(logEndOffset);
    snapshot.ifPresent(s -> s.entries().forEach(producers::restore));
    long from = snapshot.map(ProducerStateSnapshots.Snapshot::offset).orElse(0L);
    int[] replayed = {0};
    segments.forEachBatchHeaderFrom(
        from,
        h -> {
          producers.update(h);
          replayed[0]++;
        });
    log.debug(
        "{}: producer state from {} and {} batch headers after it: {} producers",
        dir,
        snapshot.map(s -> "the snapshot at " + s.offset()).orElse("no snapshot"),
        replayed[0],
        producers.size());
    return producers;
  }

  /** The checkpointed high watermark clamped to the recovered log, rewritten if it moved. */
  private long recoverHighWatermark(long logStartOffset, long logEndOffset) throws IOException {
    Path file = dir.resolve(PartitionLog.HIGH_WATERMARK_FILE);
    OptionalLong hw = new HighWatermarkFile(file).read();
    long clamped = Math.max(logStartOffset, Math.min(hw.orElse(logStartOffset), logEndOffset));
    if (hw.isPresent() && clamped != hw.getAsLong()) {
      log.warn(
          "{}: high watermark {} is outside [{}, {}] after recovery; clamped to {}",
          dir,
          hw.getAsLong(),
          logStartOffset,
          logEndOffset,
          clamped);
      try (HighWatermarkFile checkpoint = new HighWatermarkFile(file, segments.syncer())) {
        checkpoint.write(clamped);
      }
    }
    return clamped;
  }
}
