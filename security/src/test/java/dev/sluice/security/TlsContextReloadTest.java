package dev.sluice.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Secret;
import dev.sluice.config.SettingsException;
import dev.sluice.config.TlsSettings;
import dev.sluice.security.testing.TestPki;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsContextReloadTest {
  private static final TestPki PKI = TestPki.shared();
  private static final Duration INTERVAL = Duration.ofMinutes(5);

  @TempDir Path tmp;

  private final ManualClock clock = new ManualClock(Instant.now());
  private final List<String> events = new CopyOnWriteArrayList<>();
  private Path store;
  private TlsContext tls;

  /** A clock the test moves. */
  static final class ManualClock extends Clock {
    private volatile Instant now;

    ManualClock(Instant start) {
      now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  private final TlsContext.Events recorder =
      new TlsContext.Events() {
        @Override
        public void reloaded(KeyMaterial material) {
          events.add("reloaded " + material.certificate().getSerialNumber());
        }

        @Override
        public void reloadFailed(SettingsException problem) {
          events.add("failed " + String.join("; ", problem.violations()));
        }
      };

  @BeforeEach
  void loadNodeOne() throws Exception {
    store = Files.copy(PKI.nodeP12(1), tmp.resolve("node.p12"));
    TlsSettings s =
        PKI.tlsSettings(1)
            .withKeyStore(
                store,
                Secret.fromFile(TlsSettings.PREFIX + "key-store-password", PKI.passwordFile()))
            .withReloadInterval(INTERVAL);
    tls = TlsContext.load(s, 1, clock, recorder);
  }

  private void replaceStore(Path with) throws Exception {
    Files.copy(with, store, StandardCopyOption.REPLACE_EXISTING);
  }

  private static BigInteger serialOf(Path p12) {
    return KeyMaterial.load(
            PKI.tlsSettings(1)
                .withKeyStore(
                    p12,
                    Secret.fromFile(TlsSettings.PREFIX + "key-store-password", PKI.passwordFile())),
            1,
            Instant.now())
        .certificate()
        .getSerialNumber();
  }

  @Test
  void replacedFilesArePickedUpOnceTheIntervalHasPassed() throws Exception {
    BigInteger original = tls.certificate().getSerialNumber();
    SSLContext first = tls.current();
    replaceStore(PKI.renewedNodeP12());

    // within the interval the files are not even looked at
    clock.advance(INTERVAL.minusSeconds(1));
    assertSame(first, tls.current());
    assertEquals(original, tls.certificate().getSerialNumber());

    clock.advance(Duration.ofSeconds(1));
    SSLContext second = tls.current();
    BigInteger renewed = serialOf(PKI.renewedNodeP12());
    assertNotEquals(original, renewed);
    assertNotEquals(first, second);
    assertEquals(renewed, tls.certificate().getSerialNumber());
    assertEquals(List.of("reloaded " + renewed), events);

    // the new context works: it presents the renewed certificate to a peer
    Handshakes.Result r = Handshakes.mutual(PKI.clientContext(2), second);
    assertEquals(OptionalInt.of(1), r.serverSawClient());

    // unchanged files: no reload, same context
    clock.advance(INTERVAL);
    assertSame(second, tls.current());
    assertEquals(1, events.size());
  }

  @Test
  void aBrokenFileKeepsTheOldContextAndIsReportedOnce() throws Exception {
    SSLContext good = tls.current();
    Files.write(store, new byte[] {1, 2, 3});
    clock.advance(INTERVAL);
    assertSame(good, tls.current());
    assertEquals(1, events.size(), events.toString());
    assertTrue(
        events
            .get(0)
            .startsWith(
                "failed "
                    + TlsSettings.PREFIX
                    + "key-store = "
                    + store
                    + ": not a readable PKCS12 key store"),
        events.get(0));
    assertTrue(tls.lastFailure().isPresent());

    // the same broken file again: the old context, no second report
    clock.advance(INTERVAL);
    assertSame(good, tls.current());
    assertFalse(tls.reload());
    assertEquals(1, events.size(), events.toString());

    // fixed: the next check installs it
    replaceStore(PKI.renewedNodeP12());
    assertTrue(tls.reload());
    assertNotEquals(good, tls.current());
    assertTrue(tls.lastFailure().isEmpty());
    assertEquals(2, events.size(), events.toString());
  }

  @Test
  void aReplacementForAnotherNodeIsRefusedWithBothIds() throws Exception {
    SSLContext good = tls.current();
    replaceStore(PKI.nodeP12(2));
    assertFalse(tls.reload());
    assertSame(good, tls.current());
    assertEquals(
        List.of(
            "failed "
                + TlsSettings.PREFIX
                + "key-store = "
                + store
                + ": certificate names node 2 (sluice:node:2), but sluice.node.id = 1"),
        events);
  }

  @Test
  void anExplicitReloadNeedsNoClock() throws Exception {
    assertFalse(tls.reload(), "nothing changed");
    replaceStore(PKI.renewedNodeP12());
    assertTrue(tls.reload());
    assertEquals(serialOf(PKI.renewedNodeP12()), tls.certificate().getSerialNumber());
  }

  @Test
  void enginesCarryTheConfiguredParameters() {
    SSLEngine server = tls.serverEngine(true);
    assertFalse(server.getUseClientMode());
    assertTrue(server.getNeedClientAuth());
    assertArrayEquals(new String[] {"TLSv1.3"}, server.getEnabledProtocols());

    SSLEngine client = tls.clientEngine("127.0.0.1", 7701);
    assertTrue(client.getUseClientMode());
    assertEquals("127.0.0.1", client.getPeerHost());
    assertEquals(null, client.getSSLParameters().getEndpointIdentificationAlgorithm());
  }

  @Test
  void anUnknownCipherSuiteIsRefusedAtLoad() {
    TlsSettings s =
        new TlsSettings(
            true,
            tls.settings().listeners(),
            tls.settings().keyFile(),
            tls.settings().certFile(),
            tls.settings().keyStore(),
            tls.settings().keyStorePassword(),
            tls.settings().caFile(),
            tls.settings().trustStore(),
            tls.settings().trustStorePassword(),
            List.of("TLSv1.3"),
            List.of("TLS_NO_SUCH_SUITE"),
            false,
            INTERVAL);
    SettingsException e = assertThrows(SettingsException.class, () -> TlsContext.load(s, 1, clock));
    assertTrue(
        e.violations()
            .get(0)
            .startsWith(
                TlsSettings.PREFIX
                    + "cipher-suites = [TLS_NO_SUCH_SUITE]: not supported by this JDK ("),
        e.getMessage());
  }

  @Test
  void aNodeWhoseFilesAreBrokenAtStartIsRefused() throws Exception {
    Files.write(store, new byte[] {1, 2, 3});
    TlsSettings s =
        PKI.tlsSettings(1)
            .withKeyStore(
                store,
                Secret.fromFile(TlsSettings.PREFIX + "key-store-password", PKI.passwordFile()));
    SettingsException e = assertThrows(SettingsException.class, () -> TlsContext.load(s, 1, clock));
    assertTrue(
        e.getMessage().contains(TlsSettings.PREFIX + "key-store = " + store + ": "),
        e.getMessage());
  }
}
