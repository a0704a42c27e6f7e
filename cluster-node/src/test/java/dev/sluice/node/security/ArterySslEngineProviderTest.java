package dev.sluice.node.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.security.TlsContext;
import dev.sluice.security.testing.TestPki;
import java.lang.reflect.Proxy;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import scala.Option;

/**
 * After the handshake (whose trust managers already refused foreign chains), the cluster port
 * accepts a peer only when its certificate names exactly one node; engines demand a client
 * certificate on the server side.
 */
class ArterySslEngineProviderTest {
  private static final TestPki PKI = TestPki.shared();
  private final ArterySslEngineProvider provider =
      new ArterySslEngineProvider(TlsContext.load(PKI.tlsSettings(1), 1, Clock.systemUTC()));

  @Test
  void aCertificateNamingOneNodeIsAccepted() {
    X509Certificate node2 = PKI.selfSigned("CN=node-2", "uri:sluice:node:2,dns:localhost");
    assertTrue(provider.verifyServerSession("127.0.0.1", session(node2)).isEmpty());
    assertTrue(provider.verifyClientSession("127.0.0.1", session(node2)).isEmpty());
  }

  @Test
  void aCertificateWithoutOrWithTwoNodeUrisIsRefusedNamingThePeerAndWhy() {
    X509Certificate none = PKI.selfSigned("CN=node-2", "dns:localhost");
    Option<Throwable> refused = provider.verifyServerSession("127.0.0.1", session(none));
    assertFalse(refused.isEmpty());
    assertEquals(
        "cluster client from 10.0.0.9: certificate has no SAN URI sluice:node:<id> (subject"
            + " CN=node-2); a cluster member's certificate must carry the SAN URI"
            + " sluice:node:<id>",
        refused.get().getMessage());
    assertTrue(refused.get() instanceof SSLPeerUnverifiedException);

    X509Certificate two = PKI.selfSigned("CN=node-2", "uri:sluice:node:2,uri:sluice:node:3");
    Option<Throwable> twice = provider.verifyClientSession("10.0.0.7", session(two));
    assertTrue(
        twice.get().getMessage().startsWith("cluster peer 10.0.0.7: certificate has 2 SAN URIs"),
        twice.get().getMessage());
  }

  @Test
  void serverEnginesNeedAClientCertificate() {
    SSLEngine server = provider.createServerSSLEngine("127.0.0.1", 0);
    assertFalse(server.getUseClientMode());
    assertTrue(server.getNeedClientAuth());
    assertTrue(provider.createClientSSLEngine("127.0.0.1", 7355).getUseClientMode());
  }

  /** A session whose peer is 10.0.0.9 presenting {@code leaf}. */
  private static SSLSession session(X509Certificate leaf) {
    return (SSLSession)
        Proxy.newProxyInstance(
            SSLSession.class.getClassLoader(),
            new Class<?>[] {SSLSession.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getPeerCertificates" -> new Certificate[] {leaf};
                  case "getPeerHost" -> "10.0.0.9";
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }
}
