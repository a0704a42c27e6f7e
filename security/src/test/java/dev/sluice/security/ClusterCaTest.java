package dev.sluice.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.Secret;
import dev.sluice.config.TlsSettings;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterCaTest {
  @TempDir Path tmp;

  private static X509Certificate leaf(ClusterCa ca, int id) throws Exception {
    try (InputStream in = Files.newInputStream(ca.nodeKeyStorePath(id))) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      char[] pw = Files.readString(ca.storePasswordFile()).strip().toCharArray();
      ks.load(in, pw);
      return (X509Certificate) ks.getCertificateChain(ClusterCa.NODE_ALIAS)[0];
    }
  }

  private static TlsSettings settings(ClusterCa ca, int id) {
    return TlsSettings.pkcs12(
        ca.nodeKeyStorePath(id),
        Secret.fromFile(TlsSettings.PREFIX + "key-store-password", ca.storePasswordFile()),
        ca.caPem());
  }

  @Test
  void issuesNodesThatValidateAndReusesEverythingOnTheSecondRun() throws Exception {
    Path dir = tmp.resolve("security");
    ClusterCa ca = ClusterCa.openOrCreate(dir, Duration.ofDays(825));
    ca.nodeKeyStore(1, List.of("localhost", "127.0.0.1"));
    ca.nodeKeyStore(2, List.of("localhost", "127.0.0.1"));
    assertEquals(List.of(1, 2), ca.issued());

    // both chain to the CA (PKIX) and name their node
    for (int id : List.of(1, 2)) {
      KeyMaterial m = KeyMaterial.load(settings(ca, id), id, Instant.now());
      assertEquals(id, m.nodeId());
      assertEquals(2, m.chain().size(), "node and CA");
    }
    X509Certificate one = leaf(ca, 1);
    List<List<?>> sans = List.copyOf(one.getSubjectAlternativeNames());
    assertTrue(sans.contains(List.of(6, "sluice:node:1")), sans.toString());
    assertTrue(sans.contains(List.of(2, "localhost")), sans.toString());
    assertTrue(sans.contains(List.of(7, "127.0.0.1")), sans.toString());
    assertEquals(OptionalInt.of(1), NodeIdentity.of(one));
    assertEquals(List.of("serverAuth", "clientAuth").size(), one.getExtendedKeyUsage().size());

    // modes: the directory 0700, secrets 0600, the trust anchor readable
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    for (Path secret : List.of(ca.storePasswordFile(), ca.caKeyStore(), ca.nodeKeyStorePath(1))) {
      assertEquals(
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)),
          secret.toString());
    }
    assertEquals(
        "rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.caPem())));

    // a second run issues nothing; a grown cluster issues exactly the new node
    String caPem = Files.readString(ca.caPem());
    ClusterCa again = ClusterCa.openOrCreate(dir, Duration.ofDays(825));
    again.nodeKeyStore(1, List.of("localhost", "127.0.0.1"));
    again.nodeKeyStore(2, List.of("127.0.0.1", "localhost"));
    again.nodeKeyStore(3, List.of("localhost", "127.0.0.1"));
    assertEquals(List.of(3), again.issued());
    assertEquals(caPem, Files.readString(again.caPem()), "the CA is reused");
    assertEquals(one.getSerialNumber(), leaf(again, 1).getSerialNumber());

    // other hosts: a new certificate
    again.nodeKeyStore(1, List.of("node1.example"));
    assertEquals(List.of(3, 1), again.issued());
  }

  @Test
  void aCertificateInsideTheRenewalWindowIsReissued() throws Exception {
    Path dir = tmp.resolve("security");
    Duration validity = Duration.ofDays(90);
    ClusterCa ca = ClusterCa.openOrCreate(dir, validity);
    ca.nodeKeyStore(1, List.of("localhost"));
    X509Certificate first = leaf(ca, 1);

    // 59 days later 31 days are left: still current
    Clock later = Clock.fixed(Instant.now().plus(Duration.ofDays(59)), ZoneOffset.UTC);
    ClusterCa reopened = ClusterCa.openOrCreate(dir, validity, later, Keytool.ofRunningJdk());
    reopened.nodeKeyStore(1, List.of("localhost"));
    assertEquals(List.of(), reopened.issued());

    // 61 days later 29 days are left, inside the 30-day window: re-issued
    Clock inWindow = Clock.fixed(Instant.now().plus(Duration.ofDays(61)), ZoneOffset.UTC);
    ClusterCa renewing = ClusterCa.openOrCreate(dir, validity, inWindow, Keytool.ofRunningJdk());
    renewing.nodeKeyStore(1, List.of("localhost"));
    assertEquals(List.of(1), renewing.issued());
    assertNotEquals(first.getSerialNumber(), leaf(renewing, 1).getSerialNumber());
  }

  @Test
  void aHostThatIsNoHostNameIsRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ClusterCa.sanEntry("a,uri:evil"));
    assertTrue(e.getMessage().contains("'a,uri:evil'"), e.getMessage());
    assertEquals("ip:10.0.0.5", ClusterCa.sanEntry("10.0.0.5"));
    assertEquals("dns:node-1.example", ClusterCa.sanEntry("node-1.example"));
    assertEquals("ip:::1", ClusterCa.sanEntry("::1"));
  }
}
