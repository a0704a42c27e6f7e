package dev.sluice.log.epoch;

import dev.sluice.format.BatchHeader;
import dev.sluice.log.checkpoint.LeaderEpochCheckpoint;
import dev.sluice.log.segment.BatchLocation;
import dev.sluice.log.segment.LogSegment;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a checkpointed leader-epoch history in line with a log that was just recovered, at open.
 *
 * <p>Entries at or past the log end are dropped with an INFO line (an append wrote its entry and
 * then the crash took the batch, or recovery cut a torn tail: expected, not damage) and the log
 * start offset is applied as retention would. The result is then checked against the log, cheaply
 * (a few header reads): the last batch must not carry an epoch above the latest entry's, and the
 * latest entry must start where its epoch starts in the log. If the file is missing or damaged or a
 * check fails, the history is rebuilt by reading every batch header (bounded memory, see {@link
 * LogSegment#forEachBatchHeader}); the earlier entries are trusted otherwise, because the file is
 * only ever replaced whole. A new, empty partition gets an empty history without a scan.
 *
 * <p>Called once, by the thread opening the log, before the log is shared.
 */
final class LeaderEpochRecovery {
  /** The history's own logger: what recovery did is part of the history's story. */
  private static final Logger log = LoggerFactory.getLogger(LeaderEpochCache.class);

  private final LeaderEpochCheckpoint checkpoint;
  private final NavigableMap<Long, LogSegment> segments;
  private final long logStartOffset;
  private final long logEndOffset;

  private LeaderEpochRecovery(
      LeaderEpochCheckpoint checkpoint,
      NavigableMap<Long, LogSegment> segments,
      long logStartOffset) {
    this.checkpoint = checkpoint;
    this.segments = segments;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = segments.lastEntry().getValue().nextOffset();
  }

  /** The reconciled history; the checkpoint is rewritten if it differs from the file. */
  static List<EpochEntry> recover(
      LeaderEpochCheckpoint checkpoint,
      NavigableMap<Long, LogSegment> segments,
      long logStartOffset)
      throws IOException {
    return new LeaderEpochRecovery(checkpoint, segments, logStartOffset).run();
  }

  private List<EpochEntry> run() throws IOException {
    boolean present = Files.exists(checkpoint.file());
    Optional<List<EpochEntry>> stored = checkpoint.read();
    if (stored.isEmpty()) {
      if (!present && logEndOffset <= logStartOffset) {
        // A new partition (or an empty one from before the history existed): nothing to scan.
        checkpoint.write(List.of());
        return List.of();
      }
      return rebuild(present ? "the checkpoint does not parse (see the warning above)" : null);
    }
    List<EpochEntry> fromFile = stored.get();
    List<EpochEntry> inLog = LeaderEpochCache.truncatedFromEnd(fromFile, logEndOffset);
    if (inLog.size() != fromFile.size()) {
      log.info(
          "{}: dropping leader epochs {} that start at or past the log end offset {}",
          checkpoint.file(),
          fromFile.subList(inLog.size(), fromFile.size()),
          logEndOffset);
    }
    List<EpochEntry> reconciled = LeaderEpochCache.truncatedFromStart(inLog, logStartOffset);
    String problem = disagreement(reconciled);
    if (problem != null) {
      return rebuild(problem);
    }
    if (!reconciled.equals(fromFile)) {
      checkpoint.write(reconciled);
    }
    return reconciled;
  }

  /** Why {@code history} cannot describe the log, or null if it passes the checks. */
  private String disagreement(List<EpochEntry> history) throws IOException {
    if (logEndOffset <= logStartOffset) {
      return null; // no batch to disagree with
    }
    int lastBatchEpoch = lastBatchEpoch();
    if (history.isEmpty()) {
      return "the log holds offsets ["
          + logStartOffset
          + ", "
          + logEndOffset
          + ") but the history is empty";
    }
    EpochEntry latest = history.get(history.size() - 1);
    if (lastBatchEpoch > latest.epoch()) {
      return "the last batch has epoch "
          + lastBatchEpoch
          + ", above the latest epoch in the history "
          + latest;
    }
    BatchHeader at = headerAt(latest.startOffset());
    if (at == null || at.partitionLeaderEpoch() != latest.epoch()) {
      return "the batch at the start of the latest epoch "
          + latest
          + " has epoch "
          + (at == null ? "(none)" : at.partitionLeaderEpoch());
    }
    if (at.baseOffset() != latest.startOffset() && latest.startOffset() != logStartOffset) {
      return "the latest epoch " + latest + " starts inside the batch at " + at.baseOffset();
    }
    if (latest.startOffset() > logStartOffset && at.baseOffset() == latest.startOffset()) {
      BatchHeader before = headerAt(latest.startOffset() - 1);
      if (before == null || before.partitionLeaderEpoch() >= latest.epoch()) {
        return "the batch before the start of the latest epoch "
            + latest
            + " already has epoch "
            + (before == null ? "(none)" : before.partitionLeaderEpoch());
      }
    }
    // A last batch with an epoch below the latest one was appended with a WARN; not a reason
    // to rebuild, which would find the same history.
    return null;
  }

  private int lastBatchEpoch() {
    for (LogSegment s : segments.descendingMap().values()) {
      if (!s.isEmpty()) {
        return s.lastEpoch();
      }
    }
    return EpochEndOffset.UNDEFINED_EPOCH;
  }

  private BatchHeader headerAt(long offset) throws IOException {
    Map.Entry<Long, LogSegment> segment = segments.floorEntry(offset);
    if (segment == null) {
      return null;
    }
    BatchLocation location = segment.getValue().find(offset);
    return location == null ? null : location.header();
  }

  /** Rebuilds the history from every batch header; {@code problem} is null for a missing file. */
  private List<EpochEntry> rebuild(String problem) throws IOException {
    List<EpochEntry> history = new ArrayList<>();
    long[] batches = {0};
    long[] olderEpochBatches = {0};
    for (LogSegment segment : segments.values()) {
      segment.forEachBatchHeader(
          h -> {
            batches[0]++;
            int latest = LeaderEpochCache.latestEpoch(history);
            if (h.partitionLeaderEpoch() > latest) {
              history.add(new EpochEntry(h.partitionLeaderEpoch(), h.baseOffset()));
            } else if (h.partitionLeaderEpoch() < latest) {
              olderEpochBatches[0]++;
            }
          });
    }
    List<EpochEntry> rebuilt = LeaderEpochCache.truncatedFromStart(history, logStartOffset);
    String summary =
        "rebuilt the leader-epoch history from "
            + batches[0]
            + " batch headers in "
            + segments.size()
            + " segments: "
            + rebuilt.size()
            + " epochs, latest "
            + (rebuilt.isEmpty() ? "none" : rebuilt.get(rebuilt.size() - 1));
    if (problem == null) {
      log.info("{}: no checkpoint; {}", checkpoint.file(), summary);
    } else {
      log.warn("{}: {}; {}", checkpoint.file(), problem, summary);
    }
    if (olderEpochBatches[0] > 0) {
      log.warn(
          "{}: {} batches carry an epoch below an earlier batch's; they have no epoch entry",
          checkpoint.file(),
          olderEpochBatches[0]);
    }
    checkpoint.write(rebuilt);
    return rebuilt;
  }
}
