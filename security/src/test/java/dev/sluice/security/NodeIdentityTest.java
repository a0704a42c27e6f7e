package dev.sluice.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.security.testing.TestPki;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeIdentityTest {
  private static final TestPki PKI = TestPki.shared();

  @ParameterizedTest(name = "{0} names node {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        // the SAN URI decides; the CN is only for people
        "CN=node-3,O=sluice | uri:sluice:node:7,dns:localhost | 7",
        "CN=node-0          | uri:sluice:node:0               | 0",
        "CN=x               | uri:sluice:node:2147483647      | 2147483647",
        // no URI, or an ambiguous pair
        "CN=node-1,O=sluice | dns:localhost,ip:127.0.0.1      | -",
        "CN=node-1,O=sluice | ''                              | -",
        "CN=node-1          | uri:sluice:node:1,uri:sluice:node:2 | -",
        "CN=node-1          | uri:sluice:node:1,uri:sluice:node:1 | -",
        // ids that are not canonical non-negative decimals
        "CN=node-1          | uri:sluice:node:-1              | -",
        "CN=node-1          | uri:sluice:node:x1              | -",
        "CN=node-1          | uri:sluice:node:01              | -",
        "CN=node-1          | uri:sluice:node:                | -",
        "CN=node-1          | uri:sluice:node:2147483648      | -",
        // another scheme is not a node URI
        "CN=node-1          | uri:spiffe://sluice/node/1      | -",
      })
  void theSanUriNamesTheNode(String dname, String san, String expected) {
    X509Certificate cert = PKI.selfSigned(dname, san);
    OptionalInt id = NodeIdentity.of(cert);
    assertEquals(
        expected.equals("-") ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(expected)),
        id,
        san);
    assertEquals(id.isEmpty(), NodeIdentity.problem(cert).isPresent(), san);
  }

  @Test
  void problemsSayWhatIsWrong() {
    assertEquals(
        Optional.of("has no SAN URI sluice:node:<id> (subject CN=node-1, O=sluice)"),
        NodeIdentity.problem(PKI.selfSigned("CN=node-1,O=sluice", "dns:localhost,ip:127.0.0.1")));
    assertEquals(
        Optional.of("has 2 SAN URIs naming nodes (sluice:node:1, sluice:node:2)"),
        NodeIdentity.problem(PKI.selfSigned("CN=node-1", "uri:sluice:node:1,uri:sluice:node:2")));
    assertEquals(
        Optional.of(
            "has SAN URI sluice:node:-1, whose id is not a node id (a decimal number, 0 or"
                + " greater)"),
        NodeIdentity.problem(PKI.selfSigned("CN=node-1", "uri:sluice:node:-1")));
    assertEquals(
        List.of("sluice:node:7"),
        NodeIdentity.nodeUris(
            PKI.selfSigned("CN=node-3,O=sluice", "uri:sluice:node:7,dns:localhost")));
  }

  @Test
  void theCertificatesOfTheTestPkiNameTheirNodes() throws Exception {
    for (int id = 1; id <= TestPki.NODES; id++) {
      assertEquals(
          OptionalInt.of(id), NodeIdentity.of(Pem.certificates(PKI.nodeCertPem(id)).get(0)));
    }
  }

  @Test
  void aSessionWithoutPeerCertificatesNamesNoNode() {
    assertEquals(OptionalInt.empty(), NodeIdentity.ofSession(null));
  }

  @Test
  void theUriOfANode() {
    assertEquals("sluice:node:12", NodeIdentity.uri(12));
    assertThrows(IllegalArgumentException.class, () -> NodeIdentity.uri(-1));
  }
}
