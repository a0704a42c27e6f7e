package dev.sluice.replication.transfer;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.SSLSession;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/** {@link TransferSecurity#plaintext()}: plain TCP; the peer is whoever its handshake names. */
final class PlaintextTransfer implements TransferSecurity {
  static final PlaintextTransfer INSTANCE = new PlaintextTransfer();

  private PlaintextTransfer() {}

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public BidiFlow<
          TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound, NotUsed>
      server() {
    // The placebo emits SessionBytes, a subtype of SslTlsInbound; Java generics cannot widen it.
    return (BidiFlow) TLSPlacebo.getInstance();
  }

  @Override
  public Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> connect(
      ActorSystem<?> system,
      InetSocketAddress leader,
      int expectedLeader,
      TransferSettings settings) {
    return Tcp.get(system)
        .outgoingConnection(
            leader,
            Optional.empty(),
            settings.socketOptions(),
            true,
            Optional.of(settings.connectTimeout()),
            Optional.of(settings.idleTimeout()));
  }

  @Override
  public OptionalInt peerNode(SSLSession session) {
    return OptionalInt.empty();
  }

  @Override
  public boolean authenticates() {
    return false;
  }

  @Override
  public String toString() {
    return "plaintext";
  }
}
