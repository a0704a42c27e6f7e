package dev.sluice.replication.fault;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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

/**
 * A TCP proxy for tests that sits between a follower and its leader's replication port and injects
 * network faults, switchable while connections run: {@link #passThrough()}, {@link #cutEvery},
 * {@link #flipByteAt}, {@link #blackHole()} and {@link #refuse()}. The follower connects to {@link
 * #address()}; every accepted connection opens its own connection to the target.
 *
 * <p>Fault semantics, chosen to look like what a real network does:
 *
 * <ul>
 *   <li><b>cut</b>: each connection is closed (both sides) right after it has forwarded exactly
 *       {@code n} bytes leader to follower, so a frame in flight arrives cut short; the counter is
 *       per connection, so every reconnect gets {@code n} again. {@link #dropConnections()} resets
 *       connections instead, at whatever byte they are.
 *   <li><b>flip</b>: one byte of the leader-to-follower stream, at a position counted from the
 *       start of a connection, is inverted, once, in the first connection that gets that far.
 *   <li><b>black hole</b>: a connection that sees a byte while the proxy is black-holing, or is
 *       accepted then, forwards nothing more in either direction and never closes: TCP
 *       back-pressure stops both peers, as with a peer whose packets are dropped. Such a connection
 *       stays dead after {@link #passThrough()}, like a connection whose state a NAT box lost; new
 *       connections pass again.
 *   <li><b>refuse</b>: connections are accepted and closed at once.
 * </ul>
 *
 * <p>It counts connections accepted, cuts, flips and bytes forwarded each way. Thread-safe: modes
 * are volatile, counters atomic; per-connection state is confined to that connection's stream.
 */
public final class FaultProxy {

  /** The reason a connection was aborted by the proxy. */
  public static final class ConnectionCutException extends RuntimeException {
    ConnectionCutException(String message) {
      super(message);
    }
  }

  private sealed interface Mode {}

  private record PassThrough() implements Mode {}

  private record CutEvery(long bytes) implements Mode {}

  private record BlackHole() implements Mode {}

  private record Refuse() implements Mode {}

  private static final CompletableFuture<ByteString> NEVER = new CompletableFuture<>();

  private final ActorSystem<?> system;
  private final InetSocketAddress target;
  private final SharedKillSwitch all;
  private volatile Tcp.ServerBinding binding;
  private volatile Mode mode = new PassThrough();
  private final AtomicLong flipAt = new AtomicLong(-1);
  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong cuts = new AtomicLong();
  private final AtomicLong flips = new AtomicLong();
  private final AtomicLong toFollower = new AtomicLong();
  private final AtomicLong toLeader = new AtomicLong();
  private final List<SharedKillSwitch> live = new ArrayList<>();

  private FaultProxy(ActorSystem<?> system, InetSocketAddress target) {
    this.system = system;
    this.target = target;
    this.all = KillSwitches.shared("fault-proxy-" + target.getPort());
  }

  /** Binds 127.0.0.1 on a free port, proxying to {@code target}; waits for the binding. */
  public static FaultProxy start(ActorSystem<?> system, InetSocketAddress target) throws Exception {
    FaultProxy proxy = new FaultProxy(system, target);
    proxy.binding =
        Tcp.get(system)
            .bind("127.0.0.1", 0)
            .to(Sink.foreach(conn -> conn.handleWith(proxy.connectionFlow(), system)))
            .run(system)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    return proxy;
  }

  /** Where followers connect instead of the leader. */
  public InetSocketAddress address() {
    return binding.localAddress();
  }

  // ---- faults ----

  /** Heals: new connections and bytes pass untouched (an armed flip stays armed). */
  public void passThrough() {
    mode = new PassThrough();
  }

  /** Alias of {@link #passThrough()}, for readability after a fault. */
  public void heal() {
    passThrough();
  }

  /** Closes every connection once it has forwarded {@code bytes} bytes leader to follower. */
  public void cutEvery(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("cut after " + bytes + " bytes");
    }
    mode = new CutEvery(bytes);
  }

  /** Inverts the leader-to-follower byte at {@code offset} of a connection, once. */
  public void flipByteAt(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("flip offset " + offset);
    }
    flipAt.set(offset);
  }

  /** Stops forwarding on every connection that sees traffic, and on new ones, until healed. */
  public void blackHole() {
    mode = new BlackHole();
  }

  /** Accepts and closes new connections at once until healed. */
  public void refuse() {
    mode = new Refuse();
  }

  /** Aborts every open connection now (a reset), whatever the mode. */
  public void dropConnections() {
    List<SharedKillSwitch> open;
    synchronized (live) {
      open = new ArrayList<>(live);
    }
    for (SharedKillSwitch k : open) {
      k.abort(new ConnectionCutException("dropped by the fault proxy"));
    }
  }

  // ---- counters ----

  public long connectionsAccepted() {
    return connections.get();
  }

  public long cuts() {
    return cuts.get();
  }

  public long flips() {
    return flips.get();
  }

  /** Bytes forwarded leader to follower, over all connections. */
  public long bytesToFollower() {
    return toFollower.get();
  }

  /** Bytes forwarded follower to leader, over all connections. */
  public long bytesToLeader() {
    return toLeader.get();
  }

  /** Unbinds and aborts every connection; completes when unbound. */
  public CompletionStage<Done> shutdown() {
    all.abort(new ConnectionCutException("fault proxy shut down"));
    return binding.unbind().thenApply(v -> Done.getInstance());
  }

  // ---- streams ----

  private Flow<ByteString, ByteString, NotUsed> connectionFlow() {
    connections.incrementAndGet();
    Mode now = mode;
    if (now instanceof Refuse) {
      return Flow.fromSinkAndSourceCoupled(Sink.cancelled(), Source.empty());
    }
    Link link = new Link(KillSwitches.shared("fault-proxy-connection"));
    if (now instanceof BlackHole) {
      link.blackHoled = true;
    }
    synchronized (live) {
      live.add(link.killSwitch);
    }
    return Flow.<ByteString>create()
        .via(all.flow())
        .via(link.killSwitch.flow())
        .mapAsync(1, link::gate)
        .map(
            b -> {
              toLeader.addAndGet(b.size());
              return b;
            })
        .via(Tcp.get(system).outgoingConnection(target.getHostString(), target.getPort()))
        .mapAsync(1, link::gate)
        .mapConcat(link::towardsFollower)
        // A cut ends the connection just after its last byte went out, so the count is exact.
        .takeWhile(b -> !link.cut, true)
        .via(link.killSwitch.flow())
        .via(all.flow())
        .watchTermination(
            (mat, done) -> {
              done.whenComplete(
                  (d, e) -> {
                    synchronized (live) {
                      live.remove(link.killSwitch);
                    }
                  });
              return NotUsed.getInstance();
            });
  }

  /** One proxied connection's state; each direction's stages run one element at a time. */
  private final class Link {
    final SharedKillSwitch killSwitch;
    volatile boolean blackHoled;
    long forwarded;
    boolean cut;

    Link(SharedKillSwitch killSwitch) {
      this.killSwitch = killSwitch;
    }

    /** Holds the element forever once the connection is black-holed: back-pressure, no close. */
    CompletionStage<ByteString> gate(ByteString bytes) {
      if (mode instanceof BlackHole) {
        blackHoled = true;
      }
      return blackHoled ? NEVER : CompletableFuture.completedFuture(bytes);
    }

    List<ByteString> towardsFollower(ByteString bytes) {
      if (cut) {
        return List.of();
      }
      ByteString out = flip(bytes);
      if (mode instanceof CutEvery c && forwarded + out.size() >= c.bytes()) {
        out = out.take((int) (c.bytes() - forwarded));
        cut = true;
        cuts.incrementAndGet();
      }
      forwarded += out.size();
      toFollower.addAndGet(out.size());
      return List.of(out); // may be empty when cut at an element boundary: it still ends the stream
    }

    private ByteString flip(ByteString bytes) {
      long at = flipAt.get();
      if (at < forwarded || at >= forwarded + bytes.size() || !flipAt.compareAndSet(at, -1)) {
        return bytes;
      }
      byte[] copy = bytes.toArray();
      int i = (int) (at - forwarded);
      copy[i] = (byte) ~copy[i];
      flips.incrementAndGet();
      return ByteString.fromArrayUnsafe(copy);
    }
  }
}
