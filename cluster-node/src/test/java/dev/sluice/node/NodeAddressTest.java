package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import org.junit.jupiter.api.Test;

/**
 * A node address carries its API's scheme, so redirects to an HTTPS leader stay on HTTPS; the
 * five-field form of older nodes reads as HTTP.
 */
class NodeAddressTest {
  private static final String CLUSTER = "pekko://sluice@127.0.0.1:7355";

  @Test
  void theSchemeTravelsWithTheAddress() {
    NodeAddress https = new NodeAddress(CLUSTER, "127.0.0.1", 7700, 7711, 7722, "https");
    assertEquals(CLUSTER + "|127.0.0.1|7700|7711|7722|https", https.encode());
    assertEquals(https, NodeAddress.parse(https.encode()));
    assertEquals(URI.create("https://127.0.0.1:7700"), https.apiUri());
  }

  @Test
  void theFiveFieldFormOfOlderNodesIsHttp() {
    NodeAddress old = NodeAddress.parse(CLUSTER + "|127.0.0.1|7700|7711|7722");
    assertEquals("http", old.apiScheme());
    assertEquals(URI.create("http://127.0.0.1:7700"), old.apiUri());
    assertEquals(new NodeAddress(CLUSTER, "127.0.0.1", 7700, 7711, 7722), old);
  }

  @Test
  void anUnknownSchemeOrFieldCountIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> NodeAddress.parse(CLUSTER + "|127.0.0.1|7700|7711|7722|ftp"));
    assertThrows(
        IllegalArgumentException.class, () -> NodeAddress.parse(CLUSTER + "|127.0.0.1|7700"));
  }
}
