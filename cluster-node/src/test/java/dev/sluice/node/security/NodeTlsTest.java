package dev.sluice.node.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.typesafe.config.Config;
import dev.sluice.config.SettingsException;
import dev.sluice.config.TlsSettings;
import dev.sluice.config.TlsSettings.Listener;
import dev.sluice.log.testing.LogCapture;
import dev.sluice.log.testing.MutableClock;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import dev.sluice.security.Pem;
import dev.sluice.security.testing.TestPki;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node loads its key material before any listener binds and refuses to start, with one {@code key
 * = value: why} line, when its certificate names another node, has expired or chains to a foreign
 * CA; a refused start leaves no port bound.
 */
class NodeTlsTest {
  private static final TestPki PKI = TestPki.shared();
  private static final String P = TlsSettings.PREFIX;

  @TempDir Path dir;

  @Test
  void aCertificateOfAnotherNodeRefusesTheStartNamingBothIds() throws Exception {
    int clusterPort = freePort();
    Map<String, String> keys = tls(PKI.nodeP12(2));
    keys.put("sluice.cluster.port", Integer.toString(clusterPort));
    SettingsException refused = assertThrows(SettingsException.class, () -> start(keys));
    assertEquals(
        java.util.List.of(
            P
                + "key-store = "
                + PKI.nodeP12(2)
                + ": certificate names node 2 (sluice:node:2), but sluice.node.id = 1"),
        refused.violations());
    try (ServerSocket stillFree = new ServerSocket(clusterPort)) {
      assertEquals(clusterPort, stillFree.getLocalPort(), "nothing bound the cluster port");
    }
  }

  @Test
  void aCertificateFromAForeignCaRefusesTheStart() {
    SettingsException refused =
        assertThrows(SettingsException.class, () -> start(tls(PKI.foreignNodeP12(1))));
    assertEquals(1, refused.violations().size(), refused.violations().toString());
    String line = refused.violations().get(0);
    assertTrue(
        line.startsWith(
            P
                + "key-store = "
                + PKI.foreignNodeP12(1)
                + ": certificate (issuer CN=Sluice cluster CA"),
        line);
    assertTrue(
        line.contains(
            "does not chain to a trust anchor of " + P + "ca-file = " + PKI.caPem() + ": "),
        line);
  }

  @Test
  void anExpiredCertificateIsRefusedNamingItsDate() throws Exception {
    Instant notAfter = Pem.certificates(PKI.nodeCertPem(1)).get(0).getNotAfter().toInstant();
    Instant now = notAfter.plus(Duration.ofDays(1));
    SettingsException refused =
        assertThrows(
            SettingsException.class,
            () -> NodeTls.load(PKI.tlsSettings(1), 1, Clock.fixed(now, ZoneOffset.UTC)));
    assertEquals(
        java.util.List.of(
            P
                + "key-store = "
                + PKI.nodeP12(1)
                + ": certificate expired on "
                + notAfter
                + " (now "
                + now
                + ")"),
        refused.violations());
  }

  @Test
  void aRunningNodeWarnsOnceItsCertificateComesWithinThirtyDaysOfExpiry() throws Exception {
    Instant notAfter = Pem.certificates(PKI.nodeCertPem(1)).get(0).getNotAfter().toInstant();
    MutableClock clock = new MutableClock(notAfter.minus(Duration.ofDays(31)));
    try (LogCapture log = LogCapture.of(NodeTls.class)) {
      NodeTls tls = NodeTls.load(PKI.tlsSettings(1), 1, clock);
      tls.warnIfExpiring();
      assertEquals(List.of(), log.messages(Level.WARN), "31 days left: no warning yet");

      clock.advance(Duration.ofDays(2));
      tls.warnIfExpiring();
      List<String> warnings = log.messages(Level.WARN);
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(
          warnings.get(0).startsWith("the certificate of node 1 in " + PKI.nodeP12(1)),
          warnings.get(0));
      assertTrue(warnings.get(0).contains("expires on " + notAfter), warnings.get(0));
    }
  }

  @Test
  void listenersOutsideTheListAndADisabledTlsStayPlaintext() {
    NodeTls some =
        NodeTls.load(
            PKI.tlsSettings(1).withListeners(EnumSet.of(Listener.CLUSTER, Listener.API)),
            1,
            Clock.systemUTC());
    assertTrue(some.on(Listener.CLUSTER));
    assertEquals("https", some.scheme(Listener.API));
    assertEquals("http", some.scheme(Listener.MANAGEMENT));
    assertFalse(some.transferSecurity().authenticates());
    assertTrue(some.arterySetup().isPresent());

    NodeTls all = NodeTls.load(PKI.tlsSettings(1), 1, Clock.systemUTC());
    assertTrue(all.transferSecurity().authenticates());

    NodeTls off = NodeTls.load(TlsSettings.disabled(), 1, Clock.systemUTC());
    assertTrue(off.context().isEmpty());
    assertTrue(off.arterySetup().isEmpty());
    assertEquals("http", off.scheme(Listener.API));
  }

  private static Map<String, String> tls(Path keyStore) {
    Map<String, String> keys = new HashMap<>();
    keys.put("sluice.security.tls.enabled", "on");
    keys.put("sluice.security.tls.key-store", keyStore.toString());
    keys.put("sluice.security.tls.key-store-password-file", PKI.passwordFile().toString());
    keys.put("sluice.security.tls.ca-file", PKI.caPem().toString());
    return keys;
  }

  private void start(Map<String, String> keys) {
    Config config = TestNodes.singleNode(dir, keys);
    SluiceNode.start(config).close();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
