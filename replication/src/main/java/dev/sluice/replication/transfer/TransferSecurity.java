package dev.sluice.replication.transfer;

import java.net.InetSocketAddress;
import java.util.OptionalInt;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * How replication connections are secured: {@link #plaintext()} (the peer is whoever it claims to
 * be) or {@link #tls} (mutual TLS; a peer is the node its certificate names). Both sides of a
 * connection use the same instance's methods, so the leader runs one code path for both modes.
 *
 * <ul>
 *   <li>Leader: {@link #server()} wraps each accepted TCP connection; the first {@code
 *       SessionBytes} it emits carries the session, and {@link #peerNode} maps that session to the
 *       peer's node id before the handshake frame is decoded. A TLS session whose certificate names
 *       no node is refused during the TLS handshake.
 *   <li>Follower: {@link #connect} opens the connection and, with TLS, refuses a leader whose
 *       certificate does not name the expected leader node (a man in the middle with another node's
 *       key).
 * </ul>
 *
 * <p>Implementations are immutable and thread-safe; engines are created per connection, so a
 * supplier that reads a reloaded context rotates keys for new connections.
 */
public interface TransferSecurity {

  /**
   * The per-connection stage of the leader: TLS in server mode (client certificates required), or a
   * placebo that wraps bytes in {@code SessionBytes} with a session naming nobody.
   */
  BidiFlow<TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound, NotUsed>
      server();

  /**
   * The follower's connection to {@code leader}, the node {@code expectedLeader}: bytes in, bytes
   * out. With TLS the connection fails during its handshake unless the leader's certificate names
   * {@code expectedLeader}.
   */
  Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> connect(
      ActorSystem<?> system,
      InetSocketAddress leader,
      int expectedLeader,
      TransferSettings settings);

  /** The node the peer of {@code session} authenticated as; empty without TLS. */
  OptionalInt peerNode(SSLSession session);

  /** True when {@link #peerNode} is an authenticated identity, false when peers are trusted. */
  boolean authenticates();

  /** No encryption and no authentication: the leader trusts the id a handshake claims. */
  static TransferSecurity plaintext() {
    return PlaintextTransfer.INSTANCE;
  }

  /**
   * Mutual TLS.
   *
   * @param server creates a server-mode engine that needs client authentication, per connection
   * @param client creates a client-mode engine for the leader's host and port, per connection
   * @param identity the node id a session's peer certificate names (a {@code sluice:node:N} URI),
   *     empty when it names none or several; must not throw
   */
  static TransferSecurity tls(
      Supplier<SSLEngine> server,
      BiFunction<String, Integer, SSLEngine> client,
      Function<SSLSession, OptionalInt> identity) {
    return new TlsTransfer(server, client, identity);
  }
}
