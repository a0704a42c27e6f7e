package dev.sluice.replication.transfer;

import dev.sluice.log.PartitionLog;
import dev.sluice.replication.BlockingIo;
import dev.sluice.replication.protocol.CorruptFrameException;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.FrameCodec;
import dev.sluice.replication.protocol.FrameDecoderStage;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.protocol.RejectReason;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.UniformFanOutShape;
import org.apache.pekko.stream.javadsl.Broadcast;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.GraphDSL;
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
 * are position reports, passed to {@link LeaderPartition#onFollowerProgress}.
 *
 * <p>The leader distrusts its peer, with or without TLS ({@link TransferSecurity}): a connection is
 * refused and closed, with one WARN naming the partition, the remote address, the peer, the value
 * and the limit ({@link PeerViolation}, repeats folded by {@link RefusalLog}), and nothing reaches
 * the partition, when
 *
 * <ul>
 *   <li>the TLS handshake fails, or the certificate names no node or another node than the
 *       handshake ({@link RejectReason#PEER_IDENTITY});
 *   <li>the handshake names a node that does not follow the partition ({@link
 *       RejectReason#NOT_A_FOLLOWER}), asks for frames below {@link HandshakeChecks#minFrameBytes}
 *       ({@link RejectReason#FRAME_TOO_SMALL}) or would give the peer more connections than
 *       partitions it follows here ({@link RejectReason#TOO_MANY_CONNECTIONS}, see {@link
 *       PeerConnections}; a newer connection for the same partition replaces the older one);
 *   <li>no handshake arrives within the handshake timeout, or {@value
 *       TransferSettings#MAX_PENDING_HANDSHAKES} accepted connections already wait for theirs;
 *   <li>a position report is above this leader's log end offset: it could otherwise move the high
 *       watermark past what this log holds.
 * </ul>
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
  private final Cancellable flushes;

  private LeaderTransferServer(
      Tcp.ServerBinding binding, SharedKillSwitch connections, Cancellable flushes) {
    this.binding = binding;
    this.connections = connections;
    this.flushes = flushes;
  }

  /** Binds {@code host:port} (0 = any free port) and serves {@code logs}. */
  public static CompletionStage<LeaderTransferServer> bind(
      ActorSystem<?> system, String host, int port, LeaderLogs logs, TransferSettings settings) {
    SharedKillSwitch connections = KillSwitches.shared("leader-transfer-" + host + "-" + port);
    Serving serving =
        new Serving(
            logs,
            settings,
            BlockingIo.executor(system),
            new PeerConnections<>(TransferSettings.MAX_PENDING_HANDSHAKES),
            new RefusalLog(log::warn, System::nanoTime));
    Cancellable flushes =
        system
            .scheduler()
            .scheduleAtFixedRate(
                RefusalLog.FOLD,
                RefusalLog.FOLD,
                serving.refusals::flush,
                system.executionContext());
    return Tcp.get(system)
        .bind(
            host,
            port,
            TransferSettings.ACCEPT_BACKLOG,
            settings.socketOptions(),
            false,
            Optional.of(settings.idleTimeout()))
        .to(Sink.foreach(conn -> serving.accept(conn, connections, system)))
        .run(system)
        .whenComplete(
            (b, error) -> {
              if (error != null) {
                flushes.cancel();
              }
            })
        .thenApply(b -> new LeaderTransferServer(b, connections, flushes));
  }

  public InetSocketAddress address() {
    return binding.localAddress();
  }

  /** Stops accepting connections and drops the open ones. */
  public CompletionStage<Done> unbind() {
    flushes.cancel();
    connections.shutdown();
    return binding.unbind().thenApply(v -> Done.getInstance());
  }

  /** What every connection of one server shares. Thread-safe. */
  private record Serving(
      LeaderLogs logs,
      TransferSettings settings,
      Executor blocking,
      PeerConnections<Connection> peers,
      RefusalLog refusals) {

    void accept(Tcp.IncomingConnection conn, SharedKillSwitch all, ActorSystem<?> system) {
      InetSocketAddress remote = conn.remoteAddress();
      if (!peers.startHandshake()) {
        refusals.log(
            new PeerViolation(
                PeerViolation.Kind.TOO_MANY_PENDING_HANDSHAKES,
                remote,
                "replication from "
                    + remote
                    + ": refused: "
                    + peers.pendingHandshakes()
                    + " accepted connections already wait for their handshake (limit "
                    + TransferSettings.MAX_PENDING_HANDSHAKES
                    + ")"));
        conn.handleWith(Flow.fromSinkAndSource(Sink.cancelled(), Source.empty()), system);
        return;
      }
      conn.handleWith(new Connection(remote, this).flow().via(all.flow()), system);
    }

    /** True while this node leads {@code partition} and {@code node} follows it. */
    boolean follows(int node, PartitionId partition) {
      return logs.lookup(partition).map(p -> p.isLeader() && p.isFollower(node)).orElse(false);
    }
  }

  /**
   * One accepted connection. Its state is written by the connection's stream and read by its
   * termination callback and by newer connections that replace it; fields are volatile or atomic.
   */
  private static final class Connection {
    private final InetSocketAddress remote;
    private final Serving serving;
    private final SharedKillSwitch kill;
    private final CompletableFuture<Frame.Hello> hello = new CompletableFuture<>();
    private final AtomicReference<LeaderPartition> served = new AtomicReference<>();
    private final AtomicBoolean handshakePending = new AtomicBoolean(true);
    private final AtomicReference<PeerViolation> refusal = new AtomicReference<>();
    private final CompletableFuture<Throwable> inboundEnd = new CompletableFuture<>();
    private final CompletableFuture<Throwable> socketEnd = new CompletableFuture<>();

    /** The node the transport authenticated; null before the first bytes, empty in plaintext. */
    private volatile OptionalInt certified;

    /** Set once the registry admitted this connection, so that its end releases it. */
    private volatile int admittedPeer = -1;

    Connection(InetSocketAddress remote, Serving serving) {
      this.remote = remote;
      this.serving = serving;
      this.kill = KillSwitches.shared("replication-from-" + remote);
    }

    Flow<ByteString, ByteString, NotUsed> flow() {
      Flow<TLSProtocol.SslTlsInbound, TLSProtocol.SslTlsOutbound, NotUsed> app =
          Flow.<TLSProtocol.SslTlsInbound>create()
              .via(watchedTo(inboundEnd))
              .collectType(TLSProtocol.SessionBytes.class)
              .map(
                  sb -> {
                    if (certified == null) {
                      // The session arrives with the first bytes, before any frame is decoded.
                      certified = serving.settings.security().peerNode(sb.session());
                    }
                    return sb.bytes();
                  })
              .via(frames())
              .map(bytes -> (TLSProtocol.SslTlsOutbound) new TLSProtocol.SendBytes(bytes));
      // A failed TLS handshake fails the decrypted inbound side only, after cancelling the
      // outbound side (which the coupled frame flow turns into a plain completion): watch both
      // ends. The connection has ended when both have, and is judged by the inbound error first.
      inboundEnd.thenAcceptBoth(
          socketEnd, (inbound, socket) -> ended(inbound != null ? inbound : socket));
      return serving
          .settings
          .security()
          .server()
          .reversed()
          .join(app)
          .via(kill.flow())
          .watchTermination((mat, done) -> endOf(done, socketEnd));
    }

    /**
     * Passes elements through and completes {@code end} with the upstream's failure (or null) once
     * the upstream terminated. Unlike {@code watchTermination}, a downstream cancellation does not
     * end the watch: the upstream's own failure, which may come right after, is still seen.
     */
    private static <T> Flow<T, T, NotUsed> watchedTo(CompletableFuture<Throwable> end) {
      return Flow.fromGraph(
              GraphDSL.create(
                  Sink.<T>ignore(),
                  (b, watch) -> {
                    UniformFanOutShape<T, T> split = b.add(Broadcast.create(2, false));
                    b.from(split.out(1)).to(watch);
                    return FlowShape.of(split.in(), split.out(0));
                  }))
          .mapMaterializedValue(done -> endOf(done, end));
    }

    /** Completes {@code end} with the failure of {@code done}, or null, once it terminated. */
    private static NotUsed endOf(CompletionStage<Done> done, CompletableFuture<Throwable> end) {
      done.whenComplete((d, error) -> end.complete(error));
      return NotUsed.getInstance();
    }

    private Flow<ByteString, ByteString, NotUsed> frames() {
      TransferSettings settings = serving.settings;
      Sink<ByteString, NotUsed> in =
          FrameDecoderStage.flow("replication from follower " + remote, settings.peerMaxBytes())
              .to(Sink.foreach(this::received));
      Source<ByteString, NotUsed> out =
          Source.completionStage(hello)
              .initialTimeout(settings.handshakeTimeout())
              .mapError(
                  TimeoutException.class,
                  e ->
                      violation(
                          PeerViolation.Kind.NO_HANDSHAKE,
                          "no handshake within "
                              + settings.handshakeTimeout().toMillis()
                              + " ms (the handshake timeout)"))
              .flatMapConcat(this::answer)
              .map(FrameCodec::encode);
      return Flow.fromSinkAndSourceCoupled(in, out);
    }

    private void received(Frame frame) {
      if (frame instanceof Frame.Hello h && !hello.isDone()) {
        handshakeDone();
        hello.complete(h);
      } else if (frame instanceof Frame.Progress && served.get() == null) {
        // A keep-alive sent before the answer, or to a refused handshake.
        log.debug("{}: progress before the transfer started; ignored", who());
      } else if (frame instanceof Frame.Progress p) {
        LeaderPartition leader = served.get();
        long leaderEnd = leader.log().logEndOffset();
        if (p.logEndOffset() > leaderEnd) {
          // Never let a peer move the high watermark past what this log holds.
          throw violation(
              PeerViolation.Kind.PROGRESS_ABOVE_LOG_END,
              "reported log end offset "
                  + p.logEndOffset()
                  + ", above this leader's log end offset "
                  + leaderEnd);
        }
        leader.onFollowerProgress(hello.join().replicaId(), p.logEndOffset(), p.stagedBytes());
      } else {
        throw new CorruptFrameException(
            who() + ": unexpected " + frame.type() + " frame from a follower");
      }
    }

    private Source<Frame, NotUsed> answer(Frame.Hello h) {
      TransferSettings settings = serving.settings;
      OptionalInt cert = certified == null ? OptionalInt.empty() : certified;
      Optional<HandshakeChecks.Refusal> refused =
          HandshakeChecks.identity(settings.security().authenticates(), cert, h.replicaId());
      if (refused.isPresent()) {
        return refuse(refused.get());
      }
      Optional<LeaderPartition> found = serving.logs.lookup(h.partition());
      if (found.isEmpty()) {
        return Source.single(
            new Frame.Rejected(
                RejectReason.UNKNOWN_PARTITION, "no replica of " + h.partition() + " here"));
      }
      Optional<Frame.Rejected> otherIncarnation = otherTopicId(h);
      if (otherIncarnation.isPresent()) {
        log.info("{}: refused: {}", who(), otherIncarnation.get().message());
        return Source.single(otherIncarnation.get());
      }
      LeaderPartition p = found.get();
      int epoch = p.leaderEpoch();
      if (!p.isLeader()) {
        return Source.single(
            new Frame.Rejected(RejectReason.NOT_LEADER, "not the leader of " + h.partition()));
      }
      if (h.currentLeaderEpoch() > epoch) {
        return Source.single(
            new Frame.Rejected(
                RejectReason.FENCED_LEADER_EPOCH,
                h.partition()
                    + ": follower knows epoch "
                    + h.currentLeaderEpoch()
                    + ", this leader has "
                    + epoch));
      }
      refused =
          HandshakeChecks.follower(h, p.isFollower(h.replicaId()))
              .or(() -> HandshakeChecks.frameSize(h.maxFrameBytes(), settings.peerMaxBytes()));
      if (refused.isPresent()) {
        return refuse(refused.get());
      }
      int peer = h.replicaId(); // with TLS, equal to the certificate's node by now
      PeerConnections.Admission<Connection> admission =
          serving.peers.admit(
              peer,
              h.partition(),
              this,
              partition -> serving.follows(peer, partition),
              serving.logs.partitionsFollowedBy(peer));
      for (Connection older : admission.closed()) {
        older.closeFor(this);
      }
      if (!admission.admitted()) {
        return refuse(admission.refusal(peer).orElseThrow());
      }
      admittedPeer = peer;
      PartitionLog leaderLog = p.log();
      Optional<Frame.Diverged> diverged =
          EpochDivergence.leaderAnswer(
              h.lastLeaderEpoch(),
              h.logEndOffset(),
              leaderLog.logStartOffset(),
              leaderLog.logEndOffset(),
              leaderLog::endOffsetForEpoch);
      if (diverged.isPresent()) {
        log.info(
            "{}: follower {} (last epoch {}, log end {}) diverged: answering {}",
            h.partition(),
            h.replicaId(),
            h.lastLeaderEpoch(),
            h.logEndOffset(),
            diverged.get());
        return Source.single(diverged.get());
      }
      served.set(p); // from now on the follower's progress reports count
      // The handshake is a position report too: a follower at the end is caught up at once.
      p.onFollowerProgress(h.replicaId(), h.logEndOffset(), h.staged().stagedBytes());
      log.debug(
          "{}: serving from offset {} (staged {}) in frames of at most {} bytes",
          who(),
          h.logEndOffset(),
          h.staged(),
          h.frameLimit(settings.peerMaxBytes()));
      // A heartbeat only when the connection has been quiet for a heartbeat interval: frames that
      // carry data already tell the follower the leader is alive.
      return LeaderFrameSource.create(p, h, settings, serving.blocking)
          .keepAlive(settings.heartbeatInterval(), () -> LeaderFrameSource.status(p));
    }

    /**
     * The refusal of a follower whose log belongs to another incarnation of the topic than this
     * replica, if both name theirs: an honest follower that was away while the topic was deleted
     * and re-created, not a violation. Either side without an id (a topic created before ids
     * existed) is served as before.
     */
    private Optional<Frame.Rejected> otherTopicId(Frame.Hello h) {
      Optional<String> mine = serving.logs.topicId(h.partition());
      if (!h.hasTopicId() || mine.isEmpty() || mine.get().equals(h.topicId())) {
        return Optional.empty();
      }
      return Optional.of(
          new Frame.Rejected(
              RejectReason.OTHER_TOPIC_ID,
              h.partition()
                  + ": follower's log belongs to topic id "
                  + h.topicId()
                  + ", this replica to topic id "
                  + mine.get()));
    }

    /** Answers with a Rejected frame; the WARN is written once the connection has closed. */
    private Source<Frame, NotUsed> refuse(HandshakeChecks.Refusal r) {
      refusal.compareAndSet(null, violation(r.kind(), r.detail()));
      return Source.single(new Frame.Rejected(r.reason(), r.detail()));
    }

    /** A newer connection of the same peer replaced or pruned this one. */
    private void closeFor(Connection newer) {
      Frame.Hello mine = hello.getNow(null);
      Frame.Hello theirs = newer.hello.getNow(null);
      String why =
          mine != null && theirs != null && mine.partition().equals(theirs.partition())
              ? "replaced by a newer connection from " + newer.remote
              : "its node no longer follows the partition";
      log.info("{}: closing: {}", who(), why);
      kill.shutdown();
    }

    private void handshakeDone() {
      if (handshakePending.compareAndSet(true, false)) {
        serving.peers.endHandshake();
      }
    }

    private void ended(Throwable error) {
      handshakeDone();
      Frame.Hello h = hello.getNow(null);
      if (admittedPeer >= 0 && h != null) {
        serving.peers.release(admittedPeer, h.partition(), this);
      }
      PeerViolation v = refusal.get();
      if (v == null) {
        v = find(error, PeerViolation.class);
      }
      SSLException tls = find(error, SSLException.class);
      if (v == null && tls != null) {
        v = violation(PeerViolation.Kind.TLS, "TLS failed: " + tls.getMessage());
      }
      if (v != null) {
        serving.refusals.log(v);
      } else if (error != null) {
        // A broken pipe or reset ends this connection only; the follower reconnects.
        log.info("{}: connection ended: {}", who(), error.toString());
      } else {
        log.debug("{}: connection closed", who());
      }
    }

    private PeerViolation violation(PeerViolation.Kind kind, String detail) {
      return new PeerViolation(kind, remote, who() + ": refused: " + detail);
    }

    /**
     * "replication orders-0 from /127.0.0.1:51234 (certificate node 3)": the partition once the
     * handshake named it, and the peer as authenticated, or as claimed without TLS.
     */
    private String who() {
      Frame.Hello h = hello.getNow(null);
      StringBuilder b = new StringBuilder("replication ");
      if (h != null) {
        b.append(h.partition()).append(' ');
      }
      b.append("from ").append(remote);
      OptionalInt cert = certified;
      if (cert != null && cert.isPresent()) {
        b.append(" (certificate node ").append(cert.getAsInt()).append(')');
      } else if (h != null) {
        b.append(" (claims node ").append(h.replicaId()).append(')');
      }
      return b.toString();
    }

    private static <T extends Throwable> T find(Throwable error, Class<T> type) {
      for (Throwable t = error; t != null; t = t.getCause()) {
        if (type.isInstance(t)) {
          return type.cast(t);
        }
        if (t.getCause() == t) {
          break;
        }
      }
      return null;
    }
  }
}
