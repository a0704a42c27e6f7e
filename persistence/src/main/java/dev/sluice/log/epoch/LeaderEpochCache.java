package dev.sluice.log.epoch;

import dev.sluice.log.checkpoint.LeaderEpochCheckpoint;
import dev.sluice.log.segment.LogSegment;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader-epoch history of one partition log (Kafka's leader-epoch cache, KIP-101/KIP-279): for
 * every leader epoch that has at least one batch in the log, the offset of its first batch.
 * Replicas compare histories to find where their logs diverge ({@link #endOffsetFor}), so the
 * history must describe exactly the batches in the log, and must survive crashes.
 *
 * <p>Invariants: epochs strictly increasing, start offsets non-decreasing; each entry's epoch is
 * the epoch of the batch at its start offset (or at the log start, after retention moved an entry's
 * start up to it); entries exist only for epochs that have a batch in the log. A batch appended
 * with an epoch above the latest one adds an entry; one with the latest epoch changes nothing; one
 * with an older epoch (a leader never writes it, but a follower keeps what its leader accepted) is
 * appended without an entry and logged at WARN, and the latest epoch stays the highest one in the
 * log.
 *
 * <p>Durability: the history is checkpointed to {@value #FILE_NAME} (format in {@link
 * LeaderEpochCheckpoint}) on every change, and the file is kept a superset of the log: an entry is
 * written before the batch that starts it, and removed from the file after the batches it covered.
 * So after a crash the file can only hold entries at or past the log end, which {@link #recover}
 * drops; anything else (a missing or damaged file, a latest epoch that disagrees with the log) is
 * rebuilt from the batch headers.
 *
 * <p>Thread-safety: the methods that change the history are called by the log's single writer,
 * under its write lock. Readers ({@link #entries}, {@link #latestEpoch}, {@link #endOffsetFor})
 * take no lock: the history is an immutable list published through a volatile field. A reader that
 * must agree with the log end offset reads the offset first; an append publishes its entry before
 * the log end passes it, and {@link #endOffsetFor} ignores entries at or past the end it is given.
 */
public final class LeaderEpochCache {
  private static final Logger log = LoggerFactory.getLogger(LeaderEpochCache.class);

  /** The checkpoint file in the partition directory. */
  public static final String FILE_NAME = "leader-epochs";

  private final LeaderEpochCheckpoint checkpoint;
  private volatile List<EpochEntry> entries;

  LeaderEpochCache(LeaderEpochCheckpoint checkpoint, List<EpochEntry> entries) {
    this.checkpoint = checkpoint;
    this.entries = List.copyOf(entries);
  }

  /**
   * Reads the history of the log in {@code dir} and reconciles it with the recovered segments
   * (ordered by base offset; the last one is the active segment) and the log start offset: drops
   * entries at or past the log end, applies the log start, and rebuilds the history from the batch
   * headers if the checkpoint is missing, does not parse or disagrees with the log. Writes the
   * checkpoint when the result differs from the file.
   */
  public static LeaderEpochCache recover(
      Path dir, NavigableMap<Long, LogSegment> segments, long logStartOffset) throws IOException {
    LeaderEpochCheckpoint checkpoint = new LeaderEpochCheckpoint(dir.resolve(FILE_NAME));
    return new LeaderEpochCache(
        checkpoint, LeaderEpochRecovery.recover(checkpoint, segments, logStartOffset));
  }

  /** The history, oldest first (an immutable snapshot). */
  public List<EpochEntry> entries() {
    return entries;
  }

  /** The latest epoch in the history, or {@link EpochEndOffset#UNDEFINED_EPOCH} if it is empty. */
  public int latestEpoch() {
    return latestEpoch(entries);
  }

  /**
   * Records that a batch of {@code epoch} is about to be appended at {@code baseOffset}, the log
   * end offset; called before the batch's bytes are written, so that the checkpoint covers them. If
   * the batch is not written after all, the caller removes the entry with {@link #truncateFromEnd}.
   */
  public void assign(int epoch, long baseOffset) throws IOException {
    List<EpochEntry> current = entries;
    int latest = latestEpoch(current);
    if (epoch == latest) {
      return;
    }
    if (epoch < latest) {
      log.warn(
          "{}: batch at offset {} has leader epoch {}, below the latest epoch {} in the log;"
              + " appended without an epoch entry",
          checkpoint.file().getParent(),
          baseOffset,
          epoch,
          latest);
      return;
    }
    EpochEntry last = current.isEmpty() ? null : current.get(current.size() - 1);
    if (last != null && last.startOffset() > baseOffset) {
      throw new IllegalStateException(
          checkpoint.file()
              + ": epoch "
              + epoch
              + " cannot start at offset "
              + baseOffset
              + ", below the start "
              + last.startOffset()
              + " of epoch "
              + last.epoch());
    }
    List<EpochEntry> next = new ArrayList<>(current);
    next.add(new EpochEntry(epoch, baseOffset));
    // File first: the batch follows, and the file must cover it if we crash in between.
    checkpoint.write(next);
    entries = List.copyOf(next);
  }

  /**
   * Removes the entries of epochs that start at or after {@code endOffset}, the new log end offset,
   * after the log was cut there (or after an append that added an entry failed).
   */
  public void truncateFromEnd(long endOffset) throws IOException {
    List<EpochEntry> current = entries;
    List<EpochEntry> next = truncatedFromEnd(current, endOffset);
    if (next.size() != current.size()) {
      // Memory first: the batches are already gone, and a stale file is a superset recovery cuts.
      entries = next;
      checkpoint.write(next);
    }
  }

  /**
   * Moves the start of the history to {@code startOffset}, the new log start offset: entries of
   * epochs that ended before it go, and the entry of the epoch that holds it now starts there.
   */
  public void truncateFromStart(long startOffset) throws IOException {
    List<EpochEntry> current = entries;
    List<EpochEntry> next = truncatedFromStart(current, startOffset);
    if (!next.equals(current)) {
      entries = next;
      checkpoint.write(next);
    }
  }

  /** Empties the history (the log was emptied). */
  public void clear() throws IOException {
    if (!entries.isEmpty()) {
      entries = List.of();
      checkpoint.write(List.of());
    }
  }

  /**
   * Where {@code epoch} ends in a log whose end offset is {@code logEndOffset} (KIP-279 rules):
   *
   * <ul>
   *   <li>empty history: {@code (UNDEFINED_EPOCH, logEndOffset)};
   *   <li>{@code epoch} below the first epoch (including {@code UNDEFINED_EPOCH}): {@code
   *       (UNDEFINED_EPOCH, start of the first epoch)}: everything from there on is newer than what
   *       the asker knows;
   *   <li>otherwise the largest epoch {@code E' <= epoch} with the start of the first epoch above
   *       {@code epoch}, or {@code logEndOffset} if there is none. An epoch this log never had
   *       answers for the epoch before it, so the asker cuts where this log moved past it.
   * </ul>
   *
   * Entries at or past {@code logEndOffset} are ignored: they belong to an append in progress.
   */
  public EpochEndOffset endOffsetFor(int epoch, long logEndOffset) {
    return endOffsetFor(entries, epoch, logEndOffset);
  }

  static EpochEndOffset endOffsetFor(List<EpochEntry> history, int epoch, long logEndOffset) {
    List<EpochEntry> visible = truncatedFromEnd(history, logEndOffset);
    if (visible.isEmpty()) {
      return new EpochEndOffset(EpochEndOffset.UNDEFINED_EPOCH, logEndOffset);
    }
    if (epoch < visible.get(0).epoch()) {
      return new EpochEndOffset(EpochEndOffset.UNDEFINED_EPOCH, visible.get(0).startOffset());
    }
    int floor = 0;
    while (floor + 1 < visible.size() && visible.get(floor + 1).epoch() <= epoch) {
      floor++;
    }
    long end = floor + 1 < visible.size() ? visible.get(floor + 1).startOffset() : logEndOffset;
    return new EpochEndOffset(visible.get(floor).epoch(), end);
  }

  static int latestEpoch(List<EpochEntry> history) {
    return history.isEmpty()
        ? EpochEndOffset.UNDEFINED_EPOCH
        : history.get(history.size() - 1).epoch();
  }

  static List<EpochEntry> truncatedFromEnd(List<EpochEntry> history, long endOffset) {
    int keep = history.size();
    while (keep > 0 && history.get(keep - 1).startOffset() >= endOffset) {
      keep--;
    }
    return keep == history.size() ? history : List.copyOf(history.subList(0, keep));
  }

  static List<EpochEntry> truncatedFromStart(List<EpochEntry> history, long startOffset) {
    int first = 0;
    while (first + 1 < history.size() && history.get(first + 1).startOffset() <= startOffset) {
      first++;
    }
    if (history.isEmpty() || (first == 0 && history.get(0).startOffset() >= startOffset)) {
      return history;
    }
    List<EpochEntry> next = new ArrayList<>(history.subList(first, history.size()));
    EpochEntry head = next.get(0);
    if (head.startOffset() < startOffset) {
      next.set(0, new EpochEntry(head.epoch(), startOffset));
    }
    return List.copyOf(next);
  }

  @Override
  public String toString() {
    return "LeaderEpochCache(" + checkpoint.file() + ", " + entries + ")";
  }
}
