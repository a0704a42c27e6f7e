package dev.sluice.replication.transfer;

import dev.sluice.replication.BlockingIo;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.FrameCodec;
import dev.sluice.replication.protocol.FrameDecoderStage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The follower's end of a partition's replication, one connection attempt at a time: connects to
 * the leader, sends a handshake computed from the log and staging area, applies the frames that
 * arrive through a {@link FollowerSession}, and reports {@link Frame.Progress} back on the same
 * connection after every append and, when nothing else was sent for a heartbeat interval, as a
 * keep-alive. Frames are applied without forcing; a flush stage forces before the progress of the
 * frames applied so far is reported, and the frames applied while it forces are merged and share
 * the next force, so a catch-up pays far fewer forces than frames while every reported position is
 * on disk. An attempt ends by failure (reset, broken pipe, idle timeout, corrupt frame, rejection)
 * or by the leader closing; the follower actor that runs it ({@code FollowerReplica}) decides when
 * to start the next one, and because every attempt recomputes its handshake, the next one resumes
 * from what is durably held, including the staged bytes of an oversized batch.
 *
 * <p>Memory per connection: the frame being applied, {@link #DECODED_AHEAD_FRAMES} decoded frames
 * waiting for it and the decoder's partial frame, each at most peer-max-bytes, plus the socket
 * reads in between. A Batches frame is appended from the buffers it was received in ({@link
 * FollowerSession}), so no frame is ever gathered into one array.
 */
public final class FollowerTransfer {
  /** Progress reports waiting for the socket; conflated, so the latest always gets through. */
  private static final int PROGRESS_QUEUE = 16;

  /**
   * Whole frames decoded ahead of the one being applied: one, so the socket is read while a frame
   * is written to the log, at the cost of one more frame (peer-max-bytes) in memory.
   */
  static final int DECODED_AHEAD_FRAMES = 1;

  /** The current connection was dropped on purpose by the owner. */
  public static final class ConnectionDroppedException extends RuntimeException {
    public ConnectionDroppedException(String message) {
      super(message);
    }
  }

  private FollowerTransfer() {}

  /**
   * One connection attempt to the leader node {@code leaderNode} at {@code leader}: emits events
   * until the connection ends; fails on any error, including (with TLS) a leader whose certificate
   * names another node. The handshake is computed when the attempt is materialized, on the
   * blocking-IO dispatcher.
   */
  public static Source<FollowerEvent, NotUsed> attempt(
      ActorSystem<?> system,
      FollowerSession session,
      int leaderNode,
      InetSocketAddress leader,
      TransferSettings settings) {
    Executor blocking = BlockingIo.executor(system);
    CompletionStage<Source<FollowerEvent, NotUsed>> connected =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return connect(
                    system, session, session.hello(), leaderNode, leader, settings, blocking);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            blocking);
    return Source.completionStageSource(connected)
        .mapMaterializedValue(stage -> NotUsed.getInstance());
  }

  /**
   * One attempt to a leader whose node id is not known: plaintext only, since with TLS the leader's
   * certificate could not be checked.
   */
  public static Source<FollowerEvent, NotUsed> attempt(
      ActorSystem<?> system,
      FollowerSession session,
      InetSocketAddress leader,
      TransferSettings settings) {
    if (settings.security().authenticates()) {
      return Source.failed(
          new IllegalArgumentException(
              "replication from "
                  + leader
                  + " over "
                  + settings.security()
                  + " needs the leader's node id to check its certificate"));
    }
    return attempt(system, session, -1, leader, settings);
  }

  private static Source<FollowerEvent, NotUsed> connect(
      ActorSystem<?> system,
      FollowerSession session,
      Frame.Hello hello,
      int leaderNode,
      InetSocketAddress leader,
      TransferSettings settings,
      Executor blocking) {
    Pair<BoundedSourceQueue<Frame>, Source<Frame, NotUsed>> progress =
        Source.<Frame>queue(PROGRESS_QUEUE).preMaterialize(system);
    BoundedSourceQueue<Frame> reports = progress.first();
    String label = "replication " + hello.partition() + " from leader " + leader;
    // A keep-alive repeats the last position when nothing was reported for a heartbeat interval:
    // the leader judges in-sync membership by position, and an idle partition reports nothing else.
    return Source.<Frame>single(hello)
        .concat(
            progress
                .second()
                .conflate((older, newer) -> newer)
                .keepAlive(settings.heartbeatInterval(), session::lastProgress))
        .map(FrameCodec::encode)
        .via(settings.security().connect(system, leader, leaderNode, settings))
        .via(FrameDecoderStage.flow(label, settings.peerMaxBytes()))
        // The next frame is received and decoded while the previous one is applied.
        .buffer(DECODED_AHEAD_FRAMES, OverflowStrategy.backpressure())
        .mapAsync(1, frame -> CompletableFuture.supplyAsync(() -> session.apply(frame), blocking))
        // Steps applied while a force runs are merged and share the next one (group commit).
        .conflate(FollowerSession.Step::merge)
        .mapAsync(1, step -> CompletableFuture.supplyAsync(() -> flush(session, step), blocking))
        .mapConcat(
            step -> {
              if (step.progress() != null) {
                // Durable: flush forced it. Dropped only if 16 are queued: a newer follows.
                reports.offer(step.progress());
              }
              return step.events();
            })
        .prepend(Source.single(new FollowerEvent.Connecting(hello)))
        .watchTermination(
            (mat, done) -> {
              done.whenComplete((d, e) -> reports.complete());
              return NotUsed.getInstance();
            });
  }

  private static FollowerSession.Step flush(FollowerSession session, FollowerSession.Step step) {
    try {
      return session.flush(step);
    } catch (IOException e) {
      throw new UncheckedIOException(session.partition() + ": " + e.getMessage(), e);
    }
  }
}
