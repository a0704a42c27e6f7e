package dev.sluice.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.security.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PemTest {
  @TempDir Path tmp;

  private Path write(String name, String content) throws Exception {
    return Files.writeString(tmp.resolve(name), content);
  }

  private static String armour(String label, byte[] body) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder().encodeToString(body)
        + "\n-----END "
        + label
        + "-----\n";
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"RSA", "EC", "Ed25519"})
  void unencryptedPkcs8KeysAreRead(String algorithm) throws Exception {
    PrivateKey key = KeyPairGenerator.getInstance(algorithm).generateKeyPair().getPrivate();
    Path file = write("key.pem", "comment before the key\n" + Pem.encode(key));
    PrivateKey read = Pem.privateKey(file);
    assertArrayEquals(key.getEncoded(), read.getEncoded());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"})
  void keyFormsTheJdkCannotReadAreRefusedWithTheConversion(String label) throws Exception {
    Path file = write("key.pem", armour(label, new byte[] {1, 2, 3}));
    KeyMaterialException e = assertThrows(KeyMaterialException.class, () -> Pem.privateKey(file));
    assertEquals(file, e.file());
    assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    assertTrue(e.reason().contains("(BEGIN " + label + ") is not supported"), e.reason());
    assertTrue(e.reason().endsWith(Pem.CONVERT_HINT), e.reason());
  }

  @Test
  void aCertificateChainIsReadInOrder() throws Exception {
    TestPki pki = TestPki.shared();
    List<X509Certificate> chain = Pem.certificates(pki.nodeCertPem(2));
    assertEquals(2, chain.size());
    X509Certificate ca = Pem.certificates(pki.caPem()).get(0);
    assertEquals(ca, chain.get(1));
    assertEquals(chain.get(0).getIssuerX500Principal(), ca.getSubjectX500Principal());

    Path bundle =
        write(
            "bundle.pem",
            Files.readString(pki.nodeCertPem(2)) + "\n" + Files.readString(pki.foreignCaPem()));
    List<X509Certificate> three = Pem.certificates(bundle);
    assertEquals(3, three.size());
    assertEquals(chain, three.subList(0, 2));
    assertEquals(Pem.certificates(pki.foreignCaPem()).get(0), three.get(2));
    // written and read back
    Path again = write("again.pem", Pem.encode(three));
    assertEquals(three, Pem.certificates(again));
  }

  @Test
  void wrongInputIsNamedWithTheFile() throws Exception {
    Path key =
        write(
            "key.pem",
            Pem.encode(KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate()));
    assertEquals(
        key + ": no certificate (expected -----BEGIN CERTIFICATE-----; found BEGIN PRIVATE KEY)",
        assertThrows(KeyMaterialException.class, () -> Pem.certificates(key)).getMessage());

    Path cert = TestPki.shared().caPem();
    assertEquals(
        cert + ": no private key (expected -----BEGIN PRIVATE KEY-----; found BEGIN CERTIFICATE)",
        assertThrows(KeyMaterialException.class, () -> Pem.privateKey(cert)).getMessage());

    Path empty = write("empty.pem", "");
    assertEquals(
        empty
            + ": no certificate (expected -----BEGIN CERTIFICATE-----; the file holds no PEM"
            + " block)",
        assertThrows(KeyMaterialException.class, () -> Pem.certificates(empty)).getMessage());

    Path garbage = write("garbage.pem", armour("CERTIFICATE", new byte[] {1, 2, 3, 4}));
    assertTrue(
        assertThrows(KeyMaterialException.class, () -> Pem.certificates(garbage))
            .getMessage()
            .startsWith(garbage + ": PEM block 1 is not an X.509 certificate"));

    Path badKey = write("bad.pem", armour("PRIVATE KEY", new byte[] {1, 2, 3, 4}));
    assertEquals(
        badKey + ": the PKCS#8 key is neither RSA, EC nor EdDSA, or its encoding is broken",
        assertThrows(KeyMaterialException.class, () -> Pem.privateKey(badKey)).getMessage());

    String one = Pem.encode(KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate());
    Path two = write("two.pem", one + one);
    assertEquals(
        two + ": holds 2 private keys; expected exactly one",
        assertThrows(KeyMaterialException.class, () -> Pem.privateKey(two)).getMessage());

    Path missing = tmp.resolve("missing.pem");
    assertEquals(
        missing + ": no such file",
        assertThrows(KeyMaterialException.class, () -> Pem.certificates(missing)).getMessage());

    Path binary =
        Files.write(tmp.resolve("store.p12"), new byte[] {0x30, (byte) 0x82, (byte) 0xff});
    assertEquals(
        binary + ": not a PEM text file (it holds non-ASCII bytes)",
        assertThrows(KeyMaterialException.class, () -> Pem.certificates(binary)).getMessage());
  }
}
