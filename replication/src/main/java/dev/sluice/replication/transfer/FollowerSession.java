package dev.sluice.replication.transfer;

import dev.sluice.log.PartitionLog;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * Applies the frames a leader sends to the follower's log: whole batches are appended, chunks go
 * through the {@link ChunkAssembler}, status moves the high watermark, divergence truncates. Also
 * computes the handshake of each connection attempt from the log and the staging area, so a
 * restarted transfer always starts from what is durably held.
 *
 * <p>Blocking file IO: call on the blocking-IO dispatcher. Thread-safety: methods are synchronized
 * because an attempt that just failed may still be finishing a frame when the next attempt computes
 * its handshake; the lock makes the handshake see that frame's result.
 */
public final class FollowerSession {

  /** The result of one frame: events for the owner and the progress to report, if any. */
  public record Step(List<FollowerEvent> events, Frame.Progress progress) {}

  /**
   * What a cut on a divergence did.
   *
   * @param cut what {@link EpochDivergence} decided
   * @param fromLogEnd the log end before
   * @param toLogEnd the log end after
   * @param highWatermarkBefore the high watermark before: a cut below it removed records this
   *     replica had been told were committed, which only an unclean election can cause
   */
  public record Truncation(
      EpochDivergence.Cut cut, long fromLogEnd, long toLogEnd, long highWatermarkBefore) {
    public boolean belowHighWatermark() {
      return toLogEnd < highWatermarkBefore;
    }
  }

  private final int replicaId;
  private final PartitionId partition;
  private final PartitionLog log;
  private final IntSupplier currentLeaderEpoch;
  private final IntSupplier maxFrameBytes;
  private final ChunkAssembler assembler;
  private boolean closed;
  private volatile Frame.Progress lastProgress = new Frame.Progress(0, 0);

  /**
   * @param currentLeaderEpoch the epoch the follower believes current (from the controller)
   * @param maxFrameBytes the frame payload limit to ask for in each handshake ({@link
   *     Frame.Hello#LEADER_FRAME_LIMIT} for the leader's); read at every attempt, from the
   *     blocking-IO dispatcher, so it must be thread-safe
   */
  public FollowerSession(
      int replicaId,
      PartitionId partition,
      PartitionLog log,
      IntSupplier currentLeaderEpoch,
      IntSupplier maxFrameBytes) {
    this.replicaId = replicaId;
    this.partition = partition;
    this.log = log;
    this.currentLeaderEpoch = currentLeaderEpoch;
    this.maxFrameBytes = maxFrameBytes;
    this.assembler =
        new ChunkAssembler(log.staging(), log::appendStagedBatch, "follower " + partition);
  }

  public PartitionId partition() {
    return partition;
  }

  /** The handshake for a new connection attempt, recomputed from the log each time. */
  public synchronized Frame.Hello hello() throws IOException {
    requireOpen();
    long end = durableEnd();
    Frame.StagedPosition staged = assembler.stagedPosition(end);
    lastProgress = new Frame.Progress(end, staged.stagedBytes());
    return new Frame.Hello(
        replicaId,
        partition,
        end,
        log.latestLeaderEpoch(),
        currentLeaderEpoch.getAsInt(),
        staged,
        maxFrameBytes.getAsInt());
  }

  /**
   * The position last reported to the leader (or sent in the handshake): what a keep-alive repeats
   * while no frame arrives, so an idle follower at the leader's end stays in the in-sync set.
   * Thread-safe.
   */
  public Frame.Progress lastProgress() {
    return lastProgress;
  }

  /** Applies one frame from the leader. */
  public synchronized Step apply(Frame frame) {
    requireOpen();
    try {
      if (frame instanceof Frame.Batches b) {
        return onBatches(b);
      } else if (frame instanceof Frame.Chunk c) {
        return onChunk(c);
      } else if (frame instanceof Frame.LeaderStatus s) {
        // Only ever raised (the log refuses to lower it): a new leader's watermark may trail ours.
        log.updateHighWatermark(Math.min(s.highWatermark(), log.logEndOffset()));
        return new Step(
            List.of(
                new FollowerEvent.LeaderStatusReceived(
                    s.leaderEpoch(), s.logEndOffset(), s.highWatermark())),
            null);
      } else if (frame instanceof Frame.Diverged d) {
        return new Step(List.of(new FollowerEvent.DivergenceReported(d)), null);
      } else if (frame instanceof Frame.Rejected r) {
        throw new TransferRejectedException(r.reason(), r.message());
      }
      throw new IllegalStateException(partition + ": a leader never sends " + frame.type());
    } catch (IOException e) {
      throw new UncheckedIOException(partition + ": " + e.getMessage(), e);
    }
  }

  private Step onBatches(Frame.Batches b) throws IOException {
    if (b.lastOffset() < log.logEndOffset()) {
      return new Step(List.of(), null); // already held: a resend after a reconnect
    }
    log.appendBatches(b.payload().asByteBuffer());
    long end = durableEnd();
    return new Step(
        List.of(new FollowerEvent.Appended(end, b.payloadLength())),
        reported(new Frame.Progress(end, 0)));
  }

  private Step onChunk(Frame.Chunk c) throws IOException {
    if (c.baseOffset() < log.logEndOffset()) {
      return new Step(List.of(), null); // the batch was appended before a reconnect
    }
    ChunkAssembler.Outcome o = assembler.accept(c);
    long end = durableEnd();
    FollowerEvent staged =
        new FollowerEvent.ChunkStaged(
            c.baseOffset(), o.stagedBytes(), c.totalLength(), o.writtenBytes(), o.skippedBytes());
    List<FollowerEvent> events =
        o.appended()
            ? List.of(staged, new FollowerEvent.Appended(end, c.totalLength()))
            : List.of(staged);
    return new Step(events, reported(new Frame.Progress(end, o.appended() ? 0 : o.stagedBytes())));
  }

  /**
   * The log end offset, forced first if any of it is not on disk yet: the leader counts a reported
   * position towards its high watermark, so it must be durable. Appends force by themselves unless
   * this node led the partition with forces deferred and something was left unforced; then this one
   * flush covers it.
   */
  private long durableEnd() throws IOException {
    long end = log.logEndOffset();
    return log.flushedOffset() >= end ? end : log.flush();
  }

  private Frame.Progress reported(Frame.Progress progress) {
    lastProgress = progress;
    return progress;
  }

  /**
   * Cuts the log where it parts from the leader's, as {@code answer} and {@link EpochDivergence}
   * decide, dropping staged chunks past the cut. Blocking file IO.
   */
  public synchronized Truncation truncate(Frame.Diverged answer) throws IOException {
    requireOpen();
    long from = log.logEndOffset();
    long hw = log.highWatermark();
    EpochDivergence.Cut cut = EpochDivergence.followerCut(answer, from, log::endOffsetForEpoch);
    if (cut instanceof EpochDivergence.TruncateTo t) {
      assembler.discard();
      log.truncateTo(t.offset());
    } else if (cut instanceof EpochDivergence.RestartAt r) {
      assembler.discard();
      log.truncateFullyAndStartAt(r.offset());
    }
    return new Truncation(cut, from, log.logEndOffset(), hw);
  }

  /**
   * Releases the staging file (its bytes stay for the next attempt). Afterwards {@link #hello} and
   * {@link #apply} throw: a frame still queued on the blocking dispatcher when the owner stopped
   * must not touch a log the owner may be about to close.
   */
  public synchronized void close() throws IOException {
    closed = true;
    assembler.close();
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException(partition + ": follower session is closed");
    }
  }
}
