package dev.sluice.replication.transfer;

import dev.sluice.log.PartitionLog;
import dev.sluice.replication.BlockingIo;
import dev.sluice.replication.protocol.CorruptFrameException;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.FrameCodec;
import dev.sluice.replication.protocol.FrameDecoderStage;
import dev.sluice.replication.protocol.RejectReason;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's replication port. Each follower connection serves one partition replica: the
 * follower's first frame is a {@link Frame.Hello}; the answer is a {@link LeaderFrameSource} merged
 * with a {@link Frame.LeaderStatus} heartbeat whenever it has been quiet for the heartbeat
 * interval, or a single {@link Frame.Rejected} or {@link Frame.Diverged} (the follower's log parts
 * from this one, see {@link EpochDivergence}) after which the connection closes. The handshake of
 * an agreeing follower and its later {@link Frame.Progress} frames (after appends, and keep-alives)
 * are position reports, passed to {@link LeaderPartition#onFollowerProgress}. A peer that is not a
 * follower of the partition, or that reports a log end above this leader's, is refused or
 * disconnected: it could otherwise read the partition or move the high watermark.
 *
 * <p>One connection per partition replica: TCP flow control back-pressures each partition on its
 * own, and a stuck or corrupt partition fails only its own connection. A failure in one connection
 * (broken pipe, corrupt frame) ends that connection only; the follower reconnects with backoff and
 * resumes. Thread-safe; {@link #unbind()} stops accepting and drops every connection.
 */
public final class LeaderTransferServer {
  private static final Logger log = LoggerFactory.getLogger(LeaderTransferServer.class);

  private final Tcp.ServerBinding binding;
  private final SharedKillSwitch connections;

  private LeaderTransferServer(Tcp.ServerBinding binding, SharedKillSwitch connections) {
    this.binding = binding;
    this.connections = connections;
  }

  /** Binds {@code host:port} (0 = any free port) and serves {@code logs}. */
  public static CompletionStage<LeaderTransferServer> bind(
      ActorSystem<?> system, String host, int port, LeaderLogs logs, TransferSettings settings) {
    Executor blocking = BlockingIo.executor(system);
    SharedKillSwitch connections = KillSwitches.shared("leader-transfer-" + host + "-" + port);
    BatchCrcCache crcs = new BatchCrcCache();
    return Tcp.get(system)
        .bind(
            host,
            port,
            TransferSettings.ACCEPT_BACKLOG,
            settings.socketOptions(),
            false,
            Optional.of(settings.idleTimeout()))
        .to(
            Sink.foreach(
                conn ->
                    conn.handleWith(
                        connectionFlow(conn.remoteAddress(), logs, settings, blocking, crcs)
                            .via(connections.flow()),
                        system)))
        .run(system)
        .thenApply(b -> new LeaderTransferServer(b, connections));
  }

  public InetSocketAddress address() {
    return binding.localAddress();
  }

  /** Stops accepting connections and drops the open ones. */
  public CompletionStage<Done> unbind() {
    connections.shutdown();
    return binding.unbind().thenApply(v -> Done.getInstance());
  }

  static Flow<ByteString, ByteString, NotUsed> connectionFlow(
      InetSocketAddress remote,
      LeaderLogs logs,
      TransferSettings settings,
      Executor blocking,
      BatchCrcCache crcs) {
    CompletableFuture<Frame.Hello> hello = new CompletableFuture<>();
    AtomicReference<LeaderPartition> served = new AtomicReference<>();
    AtomicReference<Integer> replicaId = new AtomicReference<>();
    String label = "replication from follower " + remote;
    Sink<ByteString, NotUsed> in =
        FrameDecoderStage.flow(label, settings.peerMaxBytes())
            .to(
                Sink.foreach(
                    frame -> {
                      if (frame instanceof Frame.Hello h && !hello.isDone()) {
                        hello.complete(h);
                      } else if (frame instanceof Frame.Progress && served.get() == null) {
                        // A keep-alive sent before the answer, or to a refused handshake.
                        log.debug("{}: progress before the transfer started; ignored", label);
                      } else if (frame instanceof Frame.Progress p) {
                        LeaderPartition leader = served.get();
                        long leaderEnd = leader.log().logEndOffset();
                        if (p.logEndOffset() > leaderEnd) {
                          // Never let a peer move the high watermark past what this log holds.
                          throw new CorruptFrameException(
                              label
                                  + ": follower "
                                  + replicaId.get()
                                  + " reported log end offset "
                                  + p.logEndOffset()
                                  + ", above this leader's log end offset "
                                  + leaderEnd);
                        }
                        leader.onFollowerProgress(
                            replicaId.get(), p.logEndOffset(), p.stagedBytes());
                      } else {
                        throw new CorruptFrameException(
                            label + ": unexpected " + frame.type() + " frame from a follower");
                      }
                    }));
    Source<ByteString, NotUsed> out =
        Source.completionStage(hello)
            .flatMapConcat(
                h -> {
                  Optional<LeaderPartition> p = logs.lookup(h.partition());
                  replicaId.set(h.replicaId()); // before served: progress reads both
                  return answer(h, p, settings, blocking, remote, crcs, served);
                })
            .map(FrameCodec::encode);
    return Flow.fromSinkAndSourceCoupled(in, out)
        .watchTermination(
            (mat, done) -> {
              // A broken pipe or reset ends this connection only; the follower reconnects.
              done.whenComplete(
                  (d, error) -> {
                    String who = hello.isDone() ? hello.join().partition() + " " + label : label;
                    if (error != null) {
                      log.info("{}: connection ended: {}", who, error.toString());
                    } else {
                      log.debug("{}: connection closed", who);
                    }
                  });
              return NotUsed.getInstance();
            });
  }

  private static Source<Frame, NotUsed> answer(
      Frame.Hello hello,
      Optional<LeaderPartition> found,
      TransferSettings settings,
      Executor blocking,
      InetSocketAddress remote,
      BatchCrcCache crcs,
      AtomicReference<LeaderPartition> served) {
    if (found.isEmpty()) {
      return Source.single(
          new Frame.Rejected(
              RejectReason.UNKNOWN_PARTITION, "no replica of " + hello.partition() + " here"));
    }
    LeaderPartition p = found.get();
    int epoch = p.leaderEpoch();
    if (!p.isLeader()) {
      return Source.single(
          new Frame.Rejected(RejectReason.NOT_LEADER, "not the leader of " + hello.partition()));
    }
    if (hello.currentLeaderEpoch() > epoch) {
      return Source.single(
          new Frame.Rejected(
              RejectReason.FENCED_LEADER_EPOCH,
              hello.partition()
                  + ": follower knows epoch "
                  + hello.currentLeaderEpoch()
                  + ", this leader has "
                  + epoch));
    }
    if (!p.isFollower(hello.replicaId())) {
      log.warn(
          "{}: refusing replication to node {} at {}: not a follower of this partition",
          hello.partition(),
          hello.replicaId(),
          remote);
      return Source.single(
          new Frame.Rejected(
              RejectReason.NOT_A_FOLLOWER,
              "node " + hello.replicaId() + " is not a follower of " + hello.partition()));
    }
    PartitionLog leaderLog = p.log();
    Optional<Frame.Diverged> diverged =
        EpochDivergence.leaderAnswer(
            hello.lastLeaderEpoch(),
            hello.logEndOffset(),
            leaderLog.logStartOffset(),
            leaderLog.logEndOffset(),
            leaderLog::endOffsetForEpoch);
    if (diverged.isPresent()) {
      log.info(
          "{}: follower {} (last epoch {}, log end {}) diverged: answering {}",
          hello.partition(),
          hello.replicaId(),
          hello.lastLeaderEpoch(),
          hello.logEndOffset(),
          diverged.get());
      return Source.single(diverged.get());
    }
    served.set(p); // from now on the follower's progress reports count
    // The handshake is a position report too: a follower at the end is caught up at once.
    p.onFollowerProgress(hello.replicaId(), hello.logEndOffset(), hello.staged().stagedBytes());
    log.debug(
        "{}: serving follower {} at {} from offset {} (staged {}) in frames of at most {} bytes",
        hello.partition(),
        hello.replicaId(),
        remote,
        hello.logEndOffset(),
        hello.staged(),
        hello.frameLimit(settings.peerMaxBytes()));
    // A heartbeat only when the connection has been quiet for a heartbeat interval: frames that
    // carry data already tell the follower the leader is alive.
    return LeaderFrameSource.create(p, hello, settings, blocking, crcs)
        .keepAlive(settings.heartbeatInterval(), () -> LeaderFrameSource.status(p));
  }
}
