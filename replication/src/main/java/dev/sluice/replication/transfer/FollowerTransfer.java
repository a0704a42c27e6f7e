package dev.sluice.replication.transfer;

import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.FrameCodec;
import dev.sluice.replication.protocol.FrameDecoderStage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;

/**
 * The follower's end of a partition's replication: connects to the leader, sends a handshake
 * computed from the log and staging area, applies the frames that arrive through a {@link
 * FollowerSession}, and reports {@link Frame.Progress} back on the same connection after every
 * append and, when nothing else was sent for a heartbeat interval, as a keep-alive. Every attempt
 * that ends, by failure (reset, broken pipe, idle timeout, corrupt frame, rejection) or by the
 * leader closing, is restarted by {@code RestartSource.withBackoff} with a factory that recomputes
 * the handshake, so the next attempt resumes from what is durably held, including the staged bytes
 * of an oversized batch.
 *
 * <p>The owner gets small {@link FollowerEvent}s through {@code listener} (which must be
 * thread-safe, e.g. {@code actorRef::tell}) and a {@link Control} to drop the current connection
 * (the watchdog's "restart on a fresh connection") or stop the transfer.
 */
public final class FollowerTransfer {
  /** Progress reports waiting for the socket; conflated, so the latest always gets through. */
  private static final int PROGRESS_QUEUE = 16;

  /** Handle of a running transfer. Thread-safe. */
  public interface Control {
    /** Aborts the current connection; the transfer reconnects after backoff and resumes. */
    void dropConnection();

    /** Stops the transfer for good. */
    void stop();

    /** Completes when the transfer has stopped. */
    CompletionStage<Done> stopped();
  }

  /** The current connection was dropped on purpose by the owner. */
  public static final class ConnectionDroppedException extends RuntimeException {
    public ConnectionDroppedException(String message) {
      super(message);
    }
  }

  private FollowerTransfer() {}

  /**
   * Starts replicating {@code session}'s partition from the leader at {@code leader} (asked again
   * at every attempt, so a moved leader is picked up).
   */
  public static Control start(
      ActorSystem<?> system,
      FollowerSession session,
      Supplier<InetSocketAddress> leader,
      TransferSettings settings,
      Consumer<FollowerEvent> listener) {
    AtomicReference<UniqueKillSwitch> currentAttempt = new AtomicReference<>();
    RestartSettings restart =
        RestartSettings.create(
            settings.backoff().min(), settings.backoff().max(), settings.backoff().randomFactor());
    Pair<UniqueKillSwitch, CompletionStage<Done>> running =
        RestartSource.withBackoff(
                restart,
                () ->
                    attempt(system, session, leader.get(), settings, listener)
                        .viaMat(KillSwitches.single(), Keep.right())
                        .mapMaterializedValue(
                            ks -> {
                              currentAttempt.set(ks);
                              return NotUsed.getInstance();
                            }))
            .viaMat(KillSwitches.single(), Keep.right())
            .toMat(Sink.foreach(listener::accept), Keep.both())
            .run(system);
    return new Control() {
      @Override
      public void dropConnection() {
        UniqueKillSwitch ks = currentAttempt.get();
        if (ks != null) {
          ks.abort(new ConnectionDroppedException(session.partition() + ": connection dropped"));
        }
      }

      @Override
      public void stop() {
        running.first().shutdown();
      }

      @Override
      public CompletionStage<Done> stopped() {
        return running.second();
      }
    };
  }

  /**
   * One connection attempt: emits events until the connection ends; fails on any error. The
   * handshake is computed when the attempt is materialized, on the blocking-IO dispatcher.
   */
  public static Source<FollowerEvent, NotUsed> attempt(
      ActorSystem<?> system,
      FollowerSession session,
      InetSocketAddress leader,
      TransferSettings settings,
      Consumer<FollowerEvent> listener) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    CompletionStage<Source<FollowerEvent, NotUsed>> connected =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return connect(system, session, session.hello(), leader, settings, blocking);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            blocking);
    return Source.completionStageSource(connected)
        .watchTermination(
            (mat, done) -> {
              done.whenComplete(
                  (d, error) -> {
                    if (error != null) {
                      listener.accept(new FollowerEvent.AttemptFailed(describe(error)));
                    }
                  });
              return NotUsed.getInstance();
            });
  }

  private static Source<FollowerEvent, NotUsed> connect(
      ActorSystem<?> system,
      FollowerSession session,
      Frame.Hello hello,
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
        .via(
            Tcp.get(system)
                .outgoingConnection(
                    leader,
                    Optional.empty(),
                    settings.socketOptions(),
                    true,
                    Optional.of(settings.connectTimeout()),
                    Optional.of(settings.idleTimeout())))
        .via(FrameDecoderStage.flow(label, settings.peerMaxBytes()))
        .mapAsync(1, frame -> CompletableFuture.supplyAsync(() -> session.apply(frame), blocking))
        .mapConcat(
            step -> {
              if (step.progress() != null) {
                reports.offer(step.progress()); // Dropped only if 16 are queued: a newer follows
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

  private static String describe(Throwable error) {
    Throwable t = error;
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
