package dev.sluice.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Secret;
import dev.sluice.config.SettingsException;
import dev.sluice.config.TlsSettings;
import dev.sluice.security.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyMaterialTest {
  private static final TestPki PKI = TestPki.shared();
  private static final String P = TlsSettings.PREFIX;

  @TempDir Path tmp;

  private static String only(SettingsException e) {
    assertEquals(1, e.violations().size(), e.getMessage());
    return e.violations().get(0);
  }

  @Test
  void pemAndPkcs12FormsGiveEqualWorkingContexts() throws Exception {
    KeyMaterial p12 = KeyMaterial.load(PKI.tlsSettings(1), 1, Instant.now());
    KeyMaterial pem = KeyMaterial.load(PKI.pemTlsSettings(1), 1, Instant.now());
    assertEquals(p12.chain(), pem.chain());
    assertArrayEquals(p12.privateKey().getEncoded(), pem.privateKey().getEncoded());
    assertEquals(p12.trustAnchors(), pem.trustAnchors());

    // each serves the other: mutual TLS, and each side reads the other's node id
    Handshakes.Result r =
        Handshakes.mutual(
            pem.sslContext(), KeyMaterial.load(PKI.tlsSettings(2), 2, Instant.now()).sslContext());
    assertEquals(new Handshakes.Result(OptionalInt.of(2), OptionalInt.of(1)), r);
    assertEquals(
        new Handshakes.Result(OptionalInt.of(1), OptionalInt.of(2)),
        Handshakes.mutual(PKI.clientContext(2), p12.sslContext()));
  }

  @Test
  void aCertificateOfAnotherNodeIsRefusedNamingTheFileAndBothIds() {
    SettingsException e =
        assertThrows(
            SettingsException.class,
            () -> KeyMaterial.load(PKI.pemTlsSettings(2), 1, Instant.now()));
    assertEquals(
        P
            + "cert-file = "
            + PKI.nodeCertPem(2)
            + ": certificate names node 2 (sluice:node:2), but sluice.node.id = 1",
        only(e));

    SettingsException p12 =
        assertThrows(
            SettingsException.class, () -> KeyMaterial.load(PKI.tlsSettings(3), 1, Instant.now()));
    assertEquals(
        P
            + "key-store = "
            + PKI.nodeP12(3)
            + ": certificate names node 3 (sluice:node:3), but sluice.node.id = 1",
        only(p12));
  }

  @Test
  void aCertificateWithoutNodeUriIsRefused() {
    TlsSettings s =
        PKI.tlsSettings(1)
            .withKeyStore(
                PKI.noNodeUriP12(), Secret.fromFile(P + "key-store-password", PKI.passwordFile()));
    String line =
        only(assertThrows(SettingsException.class, () -> KeyMaterial.load(s, 1, Instant.now())));
    assertTrue(
        line.startsWith(
            P
                + "key-store = "
                + PKI.noNodeUriP12()
                + ": certificate has no SAN URI sluice:node:<id>"),
        line);
    assertTrue(line.endsWith("it must carry the SAN URI sluice:node:1"), line);
  }

  @Test
  void anExpiredOrNotYetValidCertificateIsRefused() throws Exception {
    KeyMaterial m = KeyMaterial.load(PKI.tlsSettings(1), 1, Instant.now());
    Instant notAfter = m.certificate().getNotAfter().toInstant();
    Instant after = notAfter.plusSeconds(1);
    assertEquals(
        P
            + "key-store = "
            + PKI.nodeP12(1)
            + ": certificate expired on "
            + notAfter
            + " (now "
            + after
            + ")",
        only(
            assertThrows(
                SettingsException.class, () -> KeyMaterial.load(PKI.tlsSettings(1), 1, after))));

    Instant notBefore = m.certificate().getNotBefore().toInstant();
    Instant before = notBefore.minusSeconds(1);
    assertTrue(
        only(assertThrows(
                SettingsException.class, () -> KeyMaterial.load(PKI.tlsSettings(1), 1, before)))
            .endsWith(": certificate is not valid before " + notBefore + " (now " + before + ")"));

    assertEquals(Optional.empty(), m.expiryWarning(Instant.now()));
    String warning = m.expiryWarning(notAfter.minus(Duration.ofDays(3))).orElseThrow();
    assertTrue(warning.contains("expires on " + notAfter), warning);
  }

  @Test
  void aChainFromAForeignCaIsRefused() {
    TlsSettings s =
        PKI.tlsSettings(1)
            .withKeyStore(
                PKI.foreignNodeP12(1),
                Secret.fromFile(P + "key-store-password", PKI.passwordFile()));
    String line =
        only(assertThrows(SettingsException.class, () -> KeyMaterial.load(s, 1, Instant.now())));
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
  void aWrongPasswordNamesTheStoreAndWhereThePasswordCameFrom() throws Exception {
    Path wrong = Files.writeString(tmp.resolve("wrong.password"), "not-the-password\n");
    TlsSettings s =
        PKI.tlsSettings(1)
            .withKeyStore(PKI.nodeP12(1), Secret.fromFile(P + "key-store-password", wrong));
    assertEquals(
        P
            + "key-store = "
            + PKI.nodeP12(1)
            + ": wrong password ("
            + P
            + "key-store-password-file = "
            + wrong
            + ")",
        only(assertThrows(SettingsException.class, () -> KeyMaterial.load(s, 1, Instant.now()))));

    TlsSettings none =
        PKI.tlsSettings(1).withKeyStore(PKI.nodeP12(1), Secret.none(P + "key-store-password"));
    assertEquals(
        P
            + "key-store = "
            + PKI.nodeP12(1)
            + ": wrong password ("
            + P
            + "key-store-password is not set)",
        only(
            assertThrows(SettingsException.class, () -> KeyMaterial.load(none, 1, Instant.now()))));

    Path missing = tmp.resolve("missing.password");
    TlsSettings noFile =
        PKI.tlsSettings(1)
            .withKeyStore(PKI.nodeP12(1), Secret.fromFile(P + "key-store-password", missing));
    assertTrue(
        only(assertThrows(
                SettingsException.class, () -> KeyMaterial.load(noFile, 1, Instant.now())))
            .startsWith(
                P + "key-store-password-file = " + missing + ": cannot read the password file"));
  }

  @Test
  void aPemKeyOfAnotherCertificateAndMissingFilesAreAllReported() {
    TlsSettings mismatch = TlsSettings.pem(PKI.nodeKeyPem(2), PKI.nodeCertPem(1), PKI.caPem());
    assertEquals(
        P
            + "key-file = "
            + PKI.nodeKeyPem(2)
            + ": the private key does not belong to the first certificate of "
            + P
            + "cert-file = "
            + PKI.nodeCertPem(1)
            + " (CN=node-1, O=sluice)",
        only(
            assertThrows(
                SettingsException.class, () -> KeyMaterial.load(mismatch, 1, Instant.now()))));

    Path nowhere = tmp.resolve("nowhere");
    TlsSettings missing =
        TlsSettings.pem(
            nowhere.resolve("k.pem"), nowhere.resolve("c.pem"), nowhere.resolve("ca.pem"));
    SettingsException e =
        assertThrows(SettingsException.class, () -> KeyMaterial.load(missing, 1, Instant.now()));
    assertEquals(
        List.of(
            P + "key-file = " + nowhere.resolve("k.pem") + ": no such file",
            P + "cert-file = " + nowhere.resolve("c.pem") + ": no such file",
            P + "ca-file = " + nowhere.resolve("ca.pem") + ": no such file"),
        e.violations());
  }

  @Test
  void aPkcs12TrustStoreServesAsTrustAnchors() {
    // a node's own store holds the CA as a trusted entry
    TlsSettings s =
        PKI.pemTlsSettings(1)
            .withTrustStore(
                PKI.nodeP12(2), Secret.fromFile(P + "trust-store-password", PKI.passwordFile()));
    KeyMaterial m = KeyMaterial.load(s, 1, Instant.now());
    assertEquals(1, m.trustAnchors().size());
    assertEquals(m.chain().get(1), m.trustAnchors().get(0));
  }
}
