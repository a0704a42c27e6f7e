package dev.sluice.replication.transfer;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.IgnoreComplete$;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * {@link TransferSecurity#tls}: mutual TLS on both ends. The leader's stage closes eagerly (its
 * connections never half-close); the follower's ignores its own outbound completion, as the plain
 * follower connection half-closes.
 */
final class TlsTransfer implements TransferSecurity {
  private final Supplier<SSLEngine> server;
  private final BiFunction<String, Integer, SSLEngine> client;
  private final Function<SSLSession, OptionalInt> identity;

  TlsTransfer(
      Supplier<SSLEngine> server,
      BiFunction<String, Integer, SSLEngine> client,
      Function<SSLSession, OptionalInt> identity) {
    this.server = Objects.requireNonNull(server, "server");
    this.client = Objects.requireNonNull(client, "client");
    this.identity = Objects.requireNonNull(identity, "identity");
  }

  @Override
  public BidiFlow<
          TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound, NotUsed>
      server() {
    return TLS.create(server, this::requireNode, TLSClosing.eagerClose());
  }

  /** Refuses, during the TLS handshake, a client whose certificate names no node. */
  private void requireNode(SSLSession session) {
    if (peerNode(session).isEmpty()) {
      throw new UncheckedIOException(
          new SSLPeerUnverifiedException(
              "the client certificate names no sluice node (one sluice:node:N URI SAN needed)"));
    }
  }

  @Override
  public Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> connect(
      ActorSystem<?> system,
      InetSocketAddress leader,
      int expectedLeader,
      TransferSettings settings) {
    String host = leader.getHostString();
    int port = leader.getPort();
    return Tcp.get(system)
        .outgoingConnectionWithTls(
            leader,
            () -> client.apply(host, port),
            Optional.empty(),
            settings.socketOptions(),
            Optional.of(settings.connectTimeout()),
            Optional.of(settings.idleTimeout()),
            session -> verifyLeader(session, host + ":" + port, expectedLeader),
            IgnoreComplete$.MODULE$);
  }

  private Optional<Throwable> verifyLeader(SSLSession session, String at, int expected) {
    OptionalInt named = peerNode(session);
    if (named.isPresent() && named.getAsInt() == expected) {
      return Optional.empty();
    }
    String presented =
        named.isPresent()
            ? "node " + named.getAsInt() + "'s certificate"
            : "a certificate naming no node";
    return Optional.of(
        new SSLPeerUnverifiedException(
            "leader at " + at + " presented " + presented + "; expected node " + expected));
  }

  @Override
  public OptionalInt peerNode(SSLSession session) {
    try {
      OptionalInt id = identity.apply(session);
      return id == null ? OptionalInt.empty() : id;
    } catch (RuntimeException e) {
      return OptionalInt.empty(); // no certificate, or one that cannot be read: nobody
    }
  }

  @Override
  public boolean authenticates() {
    return true;
  }

  @Override
  public String toString() {
    return "mutual TLS";
  }
}
