package dev.sluice.replication.transfer;

import dev.sluice.log.FetchResult;
import dev.sluice.log.FileRegion;
import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.RecentBatch;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.RejectReason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
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
 * reported has moved, except for a log end that the batches sent next reach (the follower takes the
 * leader's end to be at least its own: one frame fewer per appended batch at the tail). Ends with a
 * {@link Frame.Rejected} once this node no longer leads, or the follower is no longer a follower of
 * the partition. An oversized batch the follower holds partly staged resumes at the staged byte
 * position when its length and head CRC ({@link BatchHeadCrc}) match the leader's batch.
 *
 * <p>Reads: the log is read in windows of a few frames ({@link TransferSettings#readWindowBytes}):
 * the batch headers of a window are walked once to plan its frames, then its bytes are streamed
 * from the segment files by a Pekko {@code FileIO} source ({@link RegionBytes}: the blocking-IO
 * dispatcher, pieces of at most 256 KiB, one piece read ahead) and cut into the planned frames at
 * batch boundaries by {@link FrameCutter}, which slices the pieces without copying them. Every byte
 * of the log is read once. A chunk's header needs only the batch's first {@value
 * BatchHeadCrc#BYTES} bytes ({@link BatchHeadCrc}): taken from the first chunk's payload, or read
 * once per batch while planning when the transfer resumes inside it; never a pass over the whole
 * batch.
 *
 * <p>At the tail, batches the leader has just appended from memory are not read back: while the log
 * holds them ({@link PartitionLog#recentBatches}: above the high watermark, the newest MiB of the
 * partition) a window of them is packed into the same frames as if read from the files, with the
 * same status rule ({@link #statusBefore}), without a file read or a hop to the blocking-IO
 * executor.
 *
 * <p>File reads and planning run on the blocking-IO executor; while caught up the stream waits on
 * {@link LeaderPartition#awaitChange} without holding a thread. Demand-driven: at most {@link
 * #READ_AHEAD_FRAMES} frames are cut before downstream (TCP) asks, so memory per connection is the
 * frame being cut (at most peer-max-bytes) and a piece ahead of it, the frames read ahead and the
 * few frames the connection's stages buffer, plus the plan of one read window.
 *
 * <p>Thread-safety: the cursor is mutable but used by one step at a time ({@code unfoldAsync}
 * starts the next step only after the previous future completed), which also orders its writes.
 */
public final class LeaderFrameSource {
  private static final Logger logger = LoggerFactory.getLogger(LeaderFrameSource.class);

  /**
   * Frames cut before the socket asks for them. The TCP stage asks for the next frame only once the
   * previous one is written; without a frame ready, the socket would wait for the file source to be
   * scheduled on the blocking-IO dispatcher and read, once per frame.
   */
  static final int READ_AHEAD_FRAMES = 1;

  private final LeaderPartition partition;
  private final int replicaId;
  private final PartitionLog log;
  private final FramePlanner planner;
  private final TransferSettings settings;
  private final Executor blocking;
  private long nextOffset;
  private Frame.StagedPosition resume;
  private long sentLogEnd = -1;
  private long sentHighWatermark = -1;
  private boolean ended;

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
            cursor, c -> c.next().thenApply(s -> s.map(step -> Pair.create(c, step))))
        .flatMapConcat(Step::frames)
        // A refusal ends the connection, even if the next step was already taken.
        .takeWhile(frame -> !(frame instanceof Frame.Rejected), true)
        .buffer(READ_AHEAD_FRAMES, OverflowStrategy.backpressure());
  }

  /** What the cursor found to send next: one frame, or a planned read window. */
  private sealed interface Step {
    Source<Frame, NotUsed> frames();
  }

  private record Ready(Frame frame) implements Step {
    @Override
    public Source<Frame, NotUsed> frames() {
      return Source.single(frame);
    }
  }

  /**
   * A window of batches from the leader's memory, after the status the follower needs, if any. Like
   * {@link FrameCutter}, it asks {@code stop} before each frame whether the connection may go on,
   * and sends the refusal instead if not.
   */
  private record FromMemory(
      Optional<Frame.LeaderStatus> status,
      List<Frame.Batches> batches,
      Supplier<Optional<Frame.Rejected>> stop)
      implements Step {
    @Override
    public Source<Frame, NotUsed> frames() {
      Source<Frame, NotUsed> window =
          Source.from(batches).map(frame -> stop.get().<Frame>map(r -> r).orElse(frame));
      return status.isPresent() ? Source.<Frame>single(status.get()).concat(window) : window;
    }
  }

  /** A planned read window, after the status the follower needs before it, if any. */
  private record Window(
      Optional<Frame.LeaderStatus> status,
      List<PlannedFrame> plans,
      List<FileRegion> regions,
      Map<LogSlice, Integer> headCrcs,
      Supplier<Optional<Frame.Rejected>> stop)
      implements Step {
    @Override
    public Source<Frame, NotUsed> frames() {
      Source<Frame, NotUsed> window =
          RegionBytes.of(regions).via(new FrameCutter(plans, headCrcs, stop));
      return status.isPresent() ? Source.<Frame>single(status.get()).concat(window) : window;
    }
  }

  private CompletionStage<Optional<Step>> next() {
    if (ended) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    Optional<Frame.Rejected> refusal = refusal();
    if (refusal.isPresent()) {
      ended = true;
      return CompletableFuture.completedFuture(Optional.of(new Ready(refusal.get())));
    }
    long hw = log.highWatermark(); // read first: hw <= log end holds for the pair
    long logEnd = log.logEndOffset();
    // A log end alone, once the connection had a status, is left to the next window (planWindow).
    boolean endLeftToWindow = nextOffset < logEnd && sentLogEnd >= 0 && hw == sentHighWatermark;
    if ((logEnd != sentLogEnd || hw != sentHighWatermark) && !endLeftToWindow) {
      sentLogEnd = logEnd;
      sentHighWatermark = hw;
      return CompletableFuture.completedFuture(
          Optional.of(new Ready(new Frame.LeaderStatus(partition.leaderEpoch(), logEnd, hw))));
    }
    if (nextOffset < logEnd) {
      Optional<Step> fromMemory = fromMemory(logEnd);
      if (fromMemory.isPresent()) {
        return CompletableFuture.completedFuture(fromMemory);
      }
      return CompletableFuture.supplyAsync(() -> Optional.of(planWindow(logEnd)), blocking);
    }
    return partition.awaitChange(logEnd, hw).thenCompose(d -> next());
  }

  /**
   * Why the connection must end, if it must: this node no longer leads (the follower must look for
   * the new leader), or the follower was removed from the assignment. Asked at every step and
   * before every frame, so also after every change wake-up: a replica removed from the assignment
   * is cut off at the next frame instead of reading on until it reconnects.
   */
  private Optional<Frame.Rejected> refusal() {
    if (!partition.isLeader()) {
      return Optional.of(
          new Frame.Rejected(RejectReason.NOT_LEADER, "this node no longer leads " + log.dir()));
    }
    if (!partition.isFollower(replicaId)) {
      logger.info(
          "{}: node {} is no longer a follower; ending its replication stream",
          log.dir(),
          replicaId);
      return Optional.of(
          new Frame.Rejected(
              RejectReason.NOT_A_FOLLOWER,
              "node " + replicaId + " is no longer a follower of " + log.dir()));
    }
    return Optional.empty();
  }

  /** The partition's status now; the high watermark is read first so it never exceeds the end. */
  static Frame.LeaderStatus status(LeaderPartition p) {
    long hw = p.log().highWatermark();
    return new Frame.LeaderStatus(p.leaderEpoch(), p.log().logEndOffset(), hw);
  }

  /**
   * The next window from the batches the leader just appended, if the log still holds them in
   * memory ({@link PartitionLog#recentBatches}: above the high watermark, appended from memory, the
   * newest MiB of the partition): up to {@link TransferSettings#readWindowBytes} of whole batches,
   * packed into frames as {@link FramePlanner} packs a window read from the files, so the frames
   * and the status before them ({@link #statusBefore}) are the ones the files would give. Built on
   * the thread that took the step (the one that woke the stream after an append, or the stream's
   * own): no file read and no hop to the blocking-IO executor. Stops before a batch larger than a
   * frame (it goes by the files, in chunks), and is not used while a staged batch may resume (the
   * first window decides that from the files).
   */
  private Optional<Step> fromMemory(long logEnd) {
    if (resume.isPresent()) {
      return Optional.empty();
    }
    List<Frame.Batches> frames = new ArrayList<>();
    long limit = planner.maxPayloadBytes();
    ByteString payload = ByteString.emptyByteString();
    long base = -1;
    long last = -1;
    for (RecentBatch batch : log.recentBatches(nextOffset, settings.readWindowBytes())) {
      int length = batch.bytes().remaining();
      if (length > limit) {
        break;
      }
      if (payload.size() + length > limit) {
        frames.add(new Frame.Batches(base, last, payload));
        payload = ByteString.emptyByteString();
        base = -1;
      }
      if (base < 0) {
        base = batch.baseOffset();
      }
      last = batch.lastOffset();
      payload = payload.concat(bytesOf(batch.bytes()));
    }
    if (base < 0) {
      return Optional.empty();
    }
    frames.add(new Frame.Batches(base, last, payload));
    nextOffset = last + 1;
    return Optional.of(new FromMemory(statusBefore(logEnd), frames, this::refusal));
  }

  /** The buffer's bytes as a ByteString, without a copy when it is an array's. */
  private static ByteString bytesOf(ByteBuffer batch) {
    if (batch.hasArray()) {
      return ByteString.fromArrayUnsafe(
          batch.array(), batch.arrayOffset() + batch.position(), batch.remaining());
    }
    return ByteString.fromByteBuffer(batch);
  }

  /**
   * The status to send before the batches up to {@link #nextOffset} (already advanced past them),
   * given the log end {@code logEnd} the step was taken at: none if the follower was told it, or if
   * these batches reach it (a follower takes the leader's log end to be at least its own, which
   * only ever holds the leader's batches); else one with it, so the follower knows it is behind.
   */
  private Optional<Frame.LeaderStatus> statusBefore(long logEnd) {
    if (logEnd == sentLogEnd) {
      return Optional.empty();
    }
    if (nextOffset >= logEnd) {
      sentLogEnd = nextOffset; // what the follower will take as the leader's end
      return Optional.empty();
    }
    sentLogEnd = logEnd;
    return Optional.of(new Frame.LeaderStatus(partition.leaderEpoch(), logEnd, sentHighWatermark));
  }

  /**
   * Plans the next window of the log (blocking: reads the batch headers). {@code logEnd} is the
   * partition's log end the step was taken at (its high watermark is the one last sent); when the
   * follower has not been told that log end yet, the window carries no status if its batches reach
   * it (a follower takes the leader's log end to be at least its own, which only ever holds the
   * leader's batches), and a status before its first frame if they do not, so that the follower
   * knows it is behind.
   */
  private Window planWindow(long logEnd) {
    try {
      FetchResult r = log.readBatches(nextOffset, settings.readWindowBytes());
      List<LogSlice> batches = r.slices();
      long resumeBase = -1;
      long resumeAt = 0;
      Map<LogSlice, Integer> headCrcs = new HashMap<>();
      if (resume.isPresent()) {
        for (LogSlice b : batches) {
          if (b.baseOffset() == resume.baseOffset() && b.length() == resume.totalLength()) {
            int crc = BatchHeadCrc.read(b);
            if (crc == resume.batchCrc()) {
              resumeBase = b.baseOffset();
              resumeAt = resume.stagedBytes();
              headCrcs.put(b, crc);
            }
          }
        }
        resume = Frame.StagedPosition.NONE; // only the first window can hold the staged batch
      }
      List<PlannedFrame> plans = planner.plan(batches, resumeBase, resumeAt);
      List<FileRegion> regions = new ArrayList<>();
      for (PlannedFrame plan : plans) {
        if (plan instanceof PlannedFrame.BatchChunk c) {
          LogSlice b = c.batch();
          if (c.bytePosition() == 0 && c.payloadBytes() < BatchHeadCrc.BYTES) {
            headCrcs.putIfAbsent(b, BatchHeadCrc.read(b)); // chunks smaller than the head
          }
          FileRegion.appendTo(regions, c.region());
        } else {
          for (FileRegion region : ((PlannedFrame.WholeBatches) plan).regions()) {
            FileRegion.appendTo(regions, region);
          }
        }
      }
      nextOffset = r.nextOffset();
      return new Window(statusBefore(logEnd), plans, regions, headCrcs, this::refusal);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
