package dev.sluice.node.security;

import dev.sluice.security.NodeIdentity;
import dev.sluice.security.TlsContext;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import org.apache.pekko.remote.artery.tcp.SSLEngineProviderSetup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * Artery's {@code tls-tcp} engines for the cluster port, with mutual authentication: both ends
 * present a certificate, each must chain to the trust anchors (the engines' trust managers refuse
 * any other during the handshake), and each must name a cluster node with a {@code
 * sluice:node:<id>} SAN URI (checked here once the handshake is done). Any certificate the cluster
 * CA issued to a node is the permission to join; the id is not matched against an address, because
 * Artery does not tell which node it expects.
 *
 * <p>Pekko takes this provider through {@link SSLEngineProviderSetup}, which wins over {@code
 * pekko.remote.artery.ssl.ssl-engine-provider}. Engines come from the node's reloading {@link
 * TlsContext}, so new connections use rotated material. Thread-safe: stateless apart from the
 * context.
 */
public final class ArterySslEngineProvider implements SSLEngineProvider {
  private static final Logger log = LoggerFactory.getLogger(ArterySslEngineProvider.class);

  private final TlsContext tls;

  public ArterySslEngineProvider(TlsContext tls) {
    this.tls = tls;
  }

  /** The setup to pass to the actor system. */
  public static SSLEngineProviderSetup setup(TlsContext tls) {
    return SSLEngineProviderSetup.create(system -> new ArterySslEngineProvider(tls));
  }

  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    return tls.serverEngine(true);
  }

  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    return tls.clientEngine(hostname, port);
  }

  /** The client's check of the server it connected to. */
  @Override
  public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
    return verify("cluster peer " + hostname, session);
  }

  /** The server's check of a client that connected to it. */
  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    String peer = session.getPeerHost() == null ? "unknown host" : session.getPeerHost();
    return verify("cluster client from " + peer, session);
  }

  private static Option<Throwable> verify(String peer, SSLSession session) {
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return refuse(peer + " presented no certificate; cluster members authenticate mutually");
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return refuse(peer + " presented no X.509 certificate");
    }
    if (NodeIdentity.of(leaf).isEmpty()) {
      return refuse(
          peer
              + ": certificate "
              + NodeIdentity.problem(leaf).orElse("names no node")
              + "; a cluster member's certificate must carry the SAN URI "
              + NodeIdentity.URI_PREFIX
              + "<id>");
    }
    return Option.empty();
  }

  private static Option<Throwable> refuse(String why) {
    log.warn("refused on the cluster port: {}", why);
    return Option.apply(new SSLPeerUnverifiedException(why));
  }
}
