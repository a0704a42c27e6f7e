package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import org.junit.jupiter.api.Test;

class PathsTest {

  @Test
  void pathsOfEachResource() {
    assertEquals("topics", Paths.topics());
    assertEquals("cluster/status", Paths.clusterStatus());
    assertEquals("topics/orders", Paths.topic("orders"));
    assertEquals("topics/orders/partitions/3/records", Paths.records("orders", 3));
    assertEquals("topics/orders/partitions/3/records/42", Paths.record("orders", 3, 42));
    assertEquals(
        "topics/orders/partitions/0/records?acks=all", Paths.produce("orders", 0, Acks.ALL));
    assertEquals(
        "topics/orders/partitions/0/records?acks=leader", Paths.produce("orders", 0, Acks.LEADER));
    assertEquals(
        "topics/orders/partitions/1/records?offset=7&maxBytes=1048576",
        Paths.batches("orders", 1, 7, 1024 * 1024));
  }

  @Test
  void topicNamesArePercentEncodedAsOneSegment() {
    // Invalid names still reach the server, which answers 404 or 400 naming them.
    assertEquals("topics/a%20b", Paths.topic("a b"));
    assertEquals("topics/a%2Fb/partitions/0/records", Paths.records("a/b", 0));
    assertEquals("topics/caf%C3%A9", Paths.topic("caf\u00e9"));
    assertEquals("topics/a%3Fb%23c", Paths.topic("a?b#c"));
    assertEquals("topics/a.b_c-d", Paths.topic("a.b_c-d"));
  }

  @Test
  void pathsResolveUnderTheBasesPrefix() {
    URI base = URI.create("http://node1:7700/sluice/");
    assertEquals(
        URI.create("http://node1:7700/sluice/topics/orders/partitions/0/records/5"),
        base.resolve(Paths.record("orders", 0, 5)));
    assertEquals(
        URI.create("http://node1:7700/topics"),
        URI.create("http://node1:7700/").resolve(Paths.topics()));
  }

  @Test
  void queryNamesAreTodays() {
    assertEquals("acks", Paths.ACKS);
    assertEquals("offset", Paths.OFFSET);
    assertEquals("maxBytes", Paths.MAX_BYTES);
  }
}
