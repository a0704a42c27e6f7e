package dev.sluice.replication.transfer;

import dev.sluice.log.PartitionLog;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * Applies the frames a leader sends to the follower's log: whole batches are appended, chunks go
 * through the {@link ChunkAssembler}, status moves the high watermark, divergence truncates. Also
 * computes the handshake of each connection attempt from the log and the staging area, so a
 * restarted transfer always starts from what is durably held.
 *
 * <p>Forces: {@link #apply} writes without forcing (the session defers the log's forces for as long
 * as it follows) and {@link #flush} forces, so that the frames applied while one force runs share
 * the next one: the transfer stream calls {@link #flush} on the steps it merged while the previous
 * flush ran (group commit, as the leader's). Invariant: a position is reported to the leader, which
 * counts it towards the high watermark, only once it is on disk: {@link #flush} forces before it
 * hands back a step's {@link Step#progress}, {@link #hello} forces before it computes the
 * handshake, and {@link #lastProgress} (the keep-alive) is only ever a position one of them forced.
 * The high watermark this follower records never passes its durable log end either. A staged
 * oversized batch is not forced in the staging area: once appended it is part of the log, and the
 * same flushes cover it (see {@link ChunkAssembler}).
 *
 * <p>Blocking file IO: call on the blocking-IO dispatcher. Thread-safety: {@link #apply}, {@link
 * #hello}, {@link #truncate} and {@link #close} are synchronized because an attempt that just
 * failed may still be finishing a frame when the next attempt computes its handshake; the lock
 * makes the handshake see that frame's result. {@link #flush} forces outside that lock, so that
 * frames keep being applied during a force, and {@link #close} waits for a force in progress.
 */
public final class FollowerSession {

  /**
   * The result of one frame, or of consecutive frames merged: events for the owner and the progress
   * to report, if any. From {@link #apply} the progress is written but may not be on disk yet; from
   * {@link #flush} it is durable.
   */
  public record Step(List<FollowerEvent> events, Frame.Progress progress) {
    /** This step followed by {@code later}: the events of both in order, the latest progress. */
    public Step merge(Step later) {
      List<FollowerEvent> all = new ArrayList<>(events.size() + later.events.size());
      all.addAll(events);
      all.addAll(later.events);
      return new Step(all, later.progress != null ? later.progress : progress);
    }
  }

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
  private final String topicId;
  private final PartitionId partition;
  private final PartitionLog log;
  private final IntSupplier currentLeaderEpoch;
  private final IntSupplier maxFrameBytes;
  private final ChunkAssembler assembler;
  private volatile boolean closed;
  private volatile Frame.Progress lastProgress = new Frame.Progress(0, 0);

  /** Held by a force of {@link #flush}; {@link #close} takes it to wait for one in progress. */
  private final Object forceLock = new Object();

  /** The leader's high watermark last heard of: raised to on this log once durable enough. */
  private long leaderHighWatermark;

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
    this(replicaId, partition, log, Frame.Hello.NO_TOPIC_ID, currentLeaderEpoch, maxFrameBytes);
  }

  /**
   * @param topicId the topic incarnation the log belongs to, sent in every handshake so that a
   *     leader of another incarnation refuses it; {@link Frame.Hello#NO_TOPIC_ID} if it names none
   * @param currentLeaderEpoch the epoch the follower believes current (from the controller)
   * @param maxFrameBytes the frame payload limit to ask for in each handshake, as above
   */
  public FollowerSession(
      int replicaId,
      PartitionId partition,
      PartitionLog log,
      String topicId,
      IntSupplier currentLeaderEpoch,
      IntSupplier maxFrameBytes) {
    this.replicaId = replicaId;
    this.topicId = Objects.requireNonNull(topicId, "topicId");
    this.partition = partition;
    this.log = log;
    this.currentLeaderEpoch = currentLeaderEpoch;
    this.maxFrameBytes = maxFrameBytes;
    this.assembler =
        new ChunkAssembler(log.staging(), log::appendStagedBatch, "follower " + partition);
    // This session is the log's only writer while the replica follows, and forces in flush().
    log.deferForces(true);
  }

  public PartitionId partition() {
    return partition;
  }

  /** The handshake for a new connection attempt, recomputed from the log each time. */
  public synchronized Frame.Hello hello() throws IOException {
    requireOpen();
    leaderHighWatermark = 0; // a new connection's leader tells its own
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
        maxFrameBytes.getAsInt(),
        topicId);
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
        leaderHighWatermark = s.highWatermark();
        log.updateHighWatermark(Math.min(s.highWatermark(), log.flushedOffset()));
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
    // The payload is the pieces it arrived in from the socket: written where they are, not first
    // gathered into one array (a second copy of every byte, and a humongous allocation per frame).
    List<ByteBuffer> pieces = new ArrayList<>();
    b.payload().getByteBuffers().forEach(pieces::add);
    log.appendBatches(pieces);
    long end = log.logEndOffset();
    return new Step(
        List.of(new FollowerEvent.Appended(end, b.payloadLength())), new Frame.Progress(end, 0));
  }

  private Step onChunk(Frame.Chunk c) throws IOException {
    if (c.baseOffset() < log.logEndOffset()) {
      return new Step(List.of(), null); // the batch was appended before a reconnect
    }
    ChunkAssembler.Outcome o = assembler.accept(c);
    long end = log.logEndOffset();
    FollowerEvent staged =
        new FollowerEvent.ChunkStaged(
            c.baseOffset(), o.stagedBytes(), c.totalLength(), o.writtenBytes(), o.skippedBytes());
    List<FollowerEvent> events =
        o.appended()
            ? List.of(staged, new FollowerEvent.Appended(end, c.totalLength()))
            : List.of(staged);
    return new Step(events, new Frame.Progress(end, o.appended() ? 0 : o.stagedBytes()));
  }

  /**
   * Makes {@code step}'s progress durable before it is reported: forces the log unless what the
   * progress names is on disk already (one force covers every frame applied before it started, so
   * the steps merged while the previous force ran share this one), then raises the high watermark
   * as far as the leader's allows. Steps without progress pass unchanged. Call on the blocking-IO
   * dispatcher; does not hold the session's lock while forcing.
   *
   * @return {@code step}, whose progress is now on disk
   * @throws IllegalStateException if the session is closed
   */
  public Step flush(Step step) throws IOException {
    Frame.Progress progress = step.progress();
    if (progress == null) {
      return step;
    }
    synchronized (forceLock) {
      requireOpen();
      if (log.flushedOffset() < progress.logEndOffset()) {
        log.flush();
      }
    }
    synchronized (this) {
      requireOpen();
      long durable = log.flushedOffset();
      if (durable < progress.logEndOffset()) {
        // Only a cut between the apply and this flush lowers it; the attempt is over by then.
        throw new IllegalStateException(
            partition
                + ": log end "
                + progress.logEndOffset()
                + " to report is not on disk after a force (durable end "
                + durable
                + "); the log was cut meanwhile");
      }
      log.updateHighWatermark(Math.min(leaderHighWatermark, durable));
      lastProgress = progress;
    }
    return step;
  }

  /**
   * The log end offset, forced first if any of it is not on disk yet: the leader counts a reported
   * position towards its high watermark, so it must be durable. Covers what earlier frames or an
   * earlier leadership of this node (which defers forces too) left unforced.
   */
  private long durableEnd() throws IOException {
    long end = log.logEndOffset();
    return log.flushedOffset() >= end ? end : log.flush();
  }

  /**
   * Cuts the log where it parts from the leader's, as {@code answer} and {@link EpochDivergence}
   * decide, dropping staged chunks past the cut. Blocking file IO.
   */
  public synchronized Truncation truncate(Frame.Diverged answer) throws IOException {
    requireOpen();
    long from = log.logEndOffset();
    long hw = log.highWatermark();
    leaderHighWatermark = 0;
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
  public void close() throws IOException {
    synchronized (this) {
      closed = true;
      assembler.close();
    }
    synchronized (forceLock) {
      // Waits for a force in progress: afterwards no flush of this session touches the log.
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException(partition + ": follower session is closed");
    }
  }
}
