package dev.sluice.replication.transfer;

import dev.sluice.log.FetchResult;
import dev.sluice.log.FileRegion;
import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.RejectReason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frames a leader sends one follower after its handshake: the log from the follower's end
 * offset, planned by {@link FramePlanner} into frames of at most peer-max-bytes (or the smaller
 * limit the follower asked for in its {@link Frame.Hello#maxFrameBytes}), then tailing the log as
 * it grows, with a {@link Frame.LeaderStatus} whenever the log end or high watermark it last
 * reported has moved. Ends with a {@link Frame.Rejected} once this node no longer leads, or the
 * follower is no longer a follower of the partition. An oversized batch the follower holds partly
 * staged resumes at the staged byte position when its length and head CRC ({@link BatchHeadCrc})
 * match the leader's batch.
 *
 * <p>Reads: every byte of the log is read once, as the frame that carries it is about to be sent: a
 * positional read of the frame's regions (at most peer-max-bytes, cut at batch boundaries or, for
 * an oversized batch, into chunks) into new arrays of at most {@link #READ_PIECE_BYTES}, joined
 * without a copy into the frame's payload. A chunk's header needs only the batch's first {@value
 * BatchHeadCrc#BYTES} bytes ({@link BatchHeadCrc}): taken from the first chunk's payload, or read
 * once per batch when the transfer resumes inside it; never a pass over the whole batch. Why a
 * positional read rather than a {@code FileIO} source: both read the file through a buffer in
 * native memory and copy it into the heap array a {@link ByteString} needs, so neither copies less;
 * the positional read cuts frames at batch boundaries without re-framing a byte stream, and reads
 * no further ahead of the TCP side than {@link #READ_AHEAD_FRAMES}. The arrays cannot be reused:
 * the TCP stage holds the frame's bytes until they are written.
 *
 * <p>File reads run on the blocking-IO executor; while caught up the stream waits on {@link
 * LeaderPartition#awaitChange} without holding a thread. Demand-driven: at most {@link
 * #READ_AHEAD_FRAMES} frames are read before downstream (TCP) asks, so memory per connection is one
 * frame being read (at most peer-max-bytes), the frames read ahead and the few frames the
 * connection's stages buffer, plus the plan of one read window.
 *
 * <p>Thread-safety: the cursor is mutable but used by one step at a time ({@code unfoldAsync}
 * starts the next step only after the previous future completed), which also orders its writes.
 */
public final class LeaderFrameSource {
  private static final Logger logger = LoggerFactory.getLogger(LeaderFrameSource.class);

  /**
   * Largest array a frame's bytes are read into; a frame of peer-max-bytes is several. Below half a
   * G1 region (1 MiB regions for heaps up to 2 GiB), so no read is a humongous allocation: a 1 MiB
   * array takes two whole regions of its own, outside the young generation.
   */
  static final int READ_PIECE_BYTES = 256 * 1024;

  /**
   * Frames read before the socket asks for them. The TCP stage asks for the next frame only once
   * the previous one is written; without a frame ready, the socket would wait for a read to be
   * scheduled on the blocking-IO dispatcher and run, once per frame.
   */
  static final int READ_AHEAD_FRAMES = 1;

  private final LeaderPartition partition;
  private final int replicaId;
  private final PartitionLog log;
  private final FramePlanner planner;
  private final TransferSettings settings;
  private final Executor blocking;
  private final Deque<PlannedFrame> pending = new ArrayDeque<>();
  private long nextOffset;
  private Frame.StagedPosition resume;
  private long sentLogEnd = -1;
  private long sentHighWatermark = -1;
  private boolean ended;

  /** The oversized batch whose head CRC is {@link #headCrc}; compared by identity (one plan). */
  private LogSlice headCrcOf;

  private int headCrc;

  private LeaderFrameSource(
      LeaderPartition partition, Frame.Hello hello, TransferSettings settings, Executor blocking) {
    this.partition = partition;
    this.replicaId = hello.replicaId();
    this.log = partition.log();
    // The follower may ask for smaller frames (the watchdog's escalation), never for larger ones.
    this.planner = new FramePlanner(hello.frameLimit(settings.peerMaxBytes()));
    this.settings = settings;
    this.blocking = blocking;
    this.nextOffset = hello.logEndOffset();
    this.resume = hello.staged();
  }

  /** The endless frame source for a follower that sent {@code hello}. */
  public static Source<Frame, NotUsed> create(
      LeaderPartition partition, Frame.Hello hello, TransferSettings settings, Executor blocking) {
    LeaderFrameSource cursor = new LeaderFrameSource(partition, hello, settings, blocking);
    return Source.unfoldAsync(
            cursor, c -> c.next().thenApply(f -> f.map(frame -> Pair.create(c, frame))))
        .buffer(READ_AHEAD_FRAMES, OverflowStrategy.backpressure());
  }

  private CompletionStage<Optional<Frame>> next() {
    if (ended) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    if (!partition.isLeader()) {
      ended = true; // the follower must look for the new leader: end after this frame
      return CompletableFuture.completedFuture(
          Optional.of(
              new Frame.Rejected(
                  RejectReason.NOT_LEADER, "this node no longer leads " + log.dir())));
    }
    if (!partition.isFollower(replicaId)) {
      // Checked at every step, so also after every change wake-up: a replica removed from the
      // assignment is cut off at the next frame instead of reading on until it reconnects.
      ended = true;
      logger.info(
          "{}: node {} is no longer a follower; ending its replication stream",
          log.dir(),
          replicaId);
      return CompletableFuture.completedFuture(
          Optional.of(
              new Frame.Rejected(
                  RejectReason.NOT_A_FOLLOWER,
                  "node " + replicaId + " is no longer a follower of " + log.dir())));
    }
    if (!pending.isEmpty()) {
      PlannedFrame plan = pending.poll();
      return CompletableFuture.supplyAsync(() -> Optional.of(read(plan)), blocking);
    }
    long hw = log.highWatermark(); // read first: hw <= log end holds for the pair
    long logEnd = log.logEndOffset();
    if (logEnd != sentLogEnd || hw != sentHighWatermark) {
      sentLogEnd = logEnd;
      sentHighWatermark = hw;
      return CompletableFuture.completedFuture(
          Optional.of(new Frame.LeaderStatus(partition.leaderEpoch(), logEnd, hw)));
    }
    if (nextOffset < logEnd) {
      return CompletableFuture.runAsync(this::planWindow, blocking).thenCompose(v -> next());
    }
    return partition.awaitChange(logEnd, hw).thenCompose(d -> next());
  }

  /** The partition's status now; the high watermark is read first so it never exceeds the end. */
  static Frame.LeaderStatus status(LeaderPartition p) {
    long hw = p.log().highWatermark();
    return new Frame.LeaderStatus(p.leaderEpoch(), p.log().logEndOffset(), hw);
  }

  private void planWindow() {
    try {
      FetchResult r = log.readBatches(nextOffset, settings.readWindowBytes());
      List<LogSlice> batches = r.slices();
      long resumeBase = -1;
      long resumeAt = 0;
      if (resume.isPresent()) {
        for (LogSlice b : batches) {
          if (b.baseOffset() == resume.baseOffset()
              && b.length() == resume.totalLength()
              && BatchHeadCrc.read(b) == resume.batchCrc()) {
            resumeBase = b.baseOffset();
            resumeAt = resume.stagedBytes();
          }
        }
        resume = Frame.StagedPosition.NONE; // only the first window can hold the staged batch
      }
      pending.addAll(planner.plan(batches, resumeBase, resumeAt));
      nextOffset = r.nextOffset();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Frame read(PlannedFrame plan) {
    try {
      if (plan instanceof PlannedFrame.WholeBatches w) {
        ByteString payload = readPieces(w.regions(), w.payloadBytes());
        return new Frame.Batches(w.baseOffset(), w.lastOffset(), payload);
      }
      PlannedFrame.BatchChunk c = (PlannedFrame.BatchChunk) plan;
      ByteString payload = readPieces(List.of(c.region()), c.payloadBytes());
      LogSlice b = c.batch();
      if (headCrcOf != b) {
        headCrc =
            c.bytePosition() == 0 && payload.size() >= BatchHeadCrc.BYTES
                ? BatchHeadCrc.of(payload.slice(0, BatchHeadCrc.BYTES).toByteBuffer())
                : BatchHeadCrc.read(b); // resumed inside the batch: its head was not sent here
        headCrcOf = b;
      }
      return new Frame.Chunk(
          b.baseOffset(), b.length(), headCrc, c.bytePosition(), c.last(), payload);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads {@code regions}, {@code bytes} in all, into new arrays of at most {@link
   * #READ_PIECE_BYTES} each, joined (not copied) into one {@link ByteString}.
   */
  static ByteString readPieces(List<FileRegion> regions, long bytes) throws IOException {
    ByteString payload = ByteString.emptyByteString();
    long left = bytes;
    ByteBuffer piece = ByteBuffer.allocate(0);
    for (FileRegion r : regions) {
      try (FileRegion.Reader reader = r.open()) {
        while (reader.remaining() > 0) {
          if (!piece.hasRemaining()) {
            if (left <= 0) {
              throw new IllegalStateException(
                  r + ": regions hold more than the frame's planned " + bytes + " bytes");
            }
            piece = ByteBuffer.allocate((int) Math.min(READ_PIECE_BYTES, left));
            left -= piece.capacity();
            payload = payload.concat(ByteString.fromArrayUnsafe(piece.array()));
          }
          reader.read(piece);
        }
      }
    }
    if (left > 0 || piece.hasRemaining()) {
      throw new IllegalStateException(
          regions + ": regions hold fewer than the frame's planned " + bytes + " bytes");
    }
    return payload;
  }
}
