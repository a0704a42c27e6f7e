package dev.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Acks;
import dev.sluice.api.Headers;
import dev.sluice.client.testing.FakeSluiceServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bootstrap list (a server that cannot be connected to is skipped, the one that answered is
 * asked first next time, a request that may have been taken is not sent elsewhere) and the
 * partitions' nodes learnt from redirects.
 */
class SluiceClientBootstrapTest {

  private static final String P0 = "/topics/t/partitions/0/records";
  private static final String P1 = "/topics/t/partitions/1/records";

  private final List<FakeSluiceServer> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(FakeSluiceServer::close);
  }

  private FakeSluiceServer server() throws IOException {
    FakeSluiceServer server = new FakeSluiceServer();
    servers.add(server);
    return server;
  }

  /** A loopback port nothing listens on: bound, noted, closed. */
  private static int refusingPort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    }
  }

  private static URI url(int port) {
    return URI.create("http://127.0.0.1:" + port);
  }

  private static long append(SluiceClient client, int partition) {
    return client.append(
        "t", partition, null, Acks.LEADER, () -> BodyPublishers.ofString("v"), false);
  }

  private static FetchedRecords fetch(SluiceClient client, int partition) {
    return client.fetchRecords("t", partition, 0, 1024, Duration.ZERO);
  }

  /** Answers a fetch with no record. */
  private static void answerFetch(FakeSluiceServer server, String path) {
    server.on(
        "GET",
        path,
        (exchange, request) -> {
          exchange.getResponseHeaders().set(Headers.NEXT_OFFSET, "0");
          FakeSluiceServer.sendBytes(exchange, 200, new byte[0]);
        });
  }

  private static void redirect(FakeSluiceServer from, String method, String path, String to) {
    from.on(
        method,
        path,
        (exchange, request) ->
            FakeSluiceServer.redirect(
                exchange,
                URI.create(to + path + (request.query() == null ? "" : "?" + request.query()))));
  }

  // ---- bootstrap list ----

  @Test
  void aServerThatRefusesIsSkippedAndTheOneThatAnsweredIsAskedFirstAfterwards() throws IOException {
    int deadPort = refusingPort();
    FakeSluiceServer second = server();
    second.onJson("GET", "/topics", 200, "{\"topics\":[]}");
    SluiceClient client =
        SluiceClient.builder(List.of(url(deadPort), URI.create(second.url()))).build();

    assertEquals(List.of(), client.listTopics().topics());
    assertEquals(1, second.requests().size());

    // The first server is back: a client that started from the top of the list again would ask
    // it, but the second answered last.
    FakeSluiceServer revived = FakeSluiceServer.onPort(deadPort);
    servers.add(revived);
    revived.onJson("GET", "/topics", 200, "{\"topics\":[]}");
    client.listTopics();
    client.listTopics();

    assertEquals(3, second.requests().size());
    assertEquals(List.of(), revived.requests());
  }

  @Test
  void whenNoServerCanBeReachedOneErrorNamesEachOfThem() throws IOException {
    URI first = url(refusingPort());
    URI second = url(refusingPort());
    SluiceClient client = SluiceClient.builder(List.of(first, second)).build();

    SluiceClientException e = assertThrows(SluiceClientException.class, client::listTopics);

    assertEquals(SluiceClientException.NO_STATUS, e.status());
    assertTrue(SluiceProducer.retriable(e));
    String message = e.getMessage();
    assertTrue(message.startsWith("cannot reach any of the 2 servers tried: "), message);
    assertTrue(message.contains(first + "/: connection refused"), message);
    assertTrue(message.contains(second + "/: connection refused"), message);
    assertEquals(1, e.getSuppressed().length, "the other server's failure is kept too");
  }

  @Test
  void anUnknownHostIsSkippedLikeARefusedConnection() throws IOException {
    FakeSluiceServer second = server();
    second.onJson("GET", "/topics", 200, "{\"topics\":[]}");
    SluiceClient client =
        SluiceClient.builder(
                List.of(URI.create("http://no-such-node.invalid:7700"), URI.create(second.url())))
            .build();

    client.listTopics();
    assertEquals(1, second.requests().size());

    SluiceClient alone = SluiceClient.create(URI.create("http://no-such-node.invalid:7700"));
    SluiceClientException e = assertThrows(SluiceClientException.class, alone::listTopics);
    assertEquals(
        "cannot reach http://no-such-node.invalid:7700/: unknown host no-such-node.invalid",
        e.getMessage());
  }

  @Test
  void aRequestWithoutAnAnswerInTimeIsNotSentToAnotherServer() throws Exception {
    FakeSluiceServer stalled = server();
    FakeSluiceServer other = server();
    CountDownLatch release = new CountDownLatch(1);
    stalled.on(
        "POST",
        P0,
        (exchange, request) -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          FakeSluiceServer.send(exchange, 200, "{\"offset\":1}");
        });
    other.onJson("POST", P0, 200, "{\"offset\":2}");
    SluiceClient client =
        SluiceClient.builder(List.of(URI.create(stalled.url()), URI.create(other.url())))
            .requestTimeout(Duration.ofMillis(200))
            .build();
    try {
      SluiceClientException e = assertThrows(SluiceClientException.class, () -> append(client, 0));

      assertEquals(SluiceClientException.NO_STATUS, e.status());
      assertTrue(e.getMessage().startsWith("no answer within PT0.2S to POST "), e.getMessage());
      assertEquals(List.of(), other.requests(), "the stalled server may have taken the record");
    } finally {
      release.countDown();
    }
  }

  @Test
  void anEmptyServerListIsRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SluiceClient.builder(List.of()));

    assertEquals("the list of servers is empty: give at least one", e.getMessage());
  }

  // ---- partition nodes ----

  @Test
  void aRedirectedPartitionGoesStraightToItsNodeUntilThatNodeStops() throws IOException {
    FakeSluiceServer a = server();
    FakeSluiceServer b = server();
    redirect(a, "POST", P0, b.url());
    b.onJson("POST", P0, 200, "{\"offset\":5}");
    answerFetch(b, P0);
    a.onJson("POST", P1, 200, "{\"offset\":9}");
    SluiceClient client = SluiceClient.create(URI.create(a.url()));

    assertEquals(5, append(client, 0));
    assertEquals(1, a.requests().size());
    assertEquals(1, b.requests().size());

    // Produce and fetch of partition 0 alike go to B without asking A.
    assertEquals(5, append(client, 0));
    fetch(client, 0);
    assertEquals(1, a.requests().size());
    assertEquals(3, b.requests().size());
    assertEquals("GET", b.requests().get(2).method());
    assertEquals("offset=0&maxBytes=1024&maxWaitMs=0", b.requests().get(2).query());

    // Partition 1 was never redirected: it still goes to A.
    assertEquals(9, append(client, 1));
    assertEquals(2, a.requests().size());
    assertEquals(3, b.requests().size());

    // B stops and A leads partition 0 now: the request goes through A at once.
    b.close();
    answerFetch(a, P0);
    fetch(client, 0);
    assertEquals(3, a.requests().size());
    assertEquals(P0, a.requests().get(2).path());
    fetch(client, 0);
    assertEquals(4, a.requests().size());
  }

  @Test
  void aNodeThatNoLongerLeadsIsForgottenAfterItsRefusal() throws IOException {
    FakeSluiceServer a = server();
    FakeSluiceServer b = server();
    redirect(a, "POST", P0, b.url());
    b.onJson("POST", P0, 200, "{\"offset\":5}");
    SluiceClient client = SluiceClient.create(URI.create(a.url()));
    append(client, 0);
    append(client, 0);
    assertEquals(1, a.requests().size());

    // What a node answers a produce while leadership moves away from it.
    b.onJson(
        "POST", P0, 503, "{\"error\":\"leadership of t-0 is moving to or from this node; retry\"}");
    SluiceClientException e = assertThrows(SluiceClientException.class, () -> append(client, 0));
    assertEquals(503, e.status());
    assertEquals(1, a.requests().size(), "the refused request itself is not sent elsewhere");

    a.onJson("POST", P0, 200, "{\"offset\":6}");
    assertEquals(6, append(client, 0));
    assertEquals(2, a.requests().size());
    assertEquals(3, b.requests().size());
  }

  @Test
  void aRedirectFromThePartitionsNodeReplacesIt() throws IOException {
    FakeSluiceServer a = server();
    FakeSluiceServer b = server();
    FakeSluiceServer c = server();
    redirect(a, "POST", P0, b.url());
    b.onJson("POST", P0, 200, "{\"offset\":5}");
    SluiceClient client = SluiceClient.create(URI.create(a.url()));
    append(client, 0);

    redirect(b, "POST", P0, c.url());
    c.onJson("POST", P0, 200, "{\"offset\":7}");
    assertEquals(7, append(client, 0));
    assertEquals(7, append(client, 0));

    assertEquals(1, a.requests().size());
    assertEquals(2, b.requests().size());
    assertEquals(2, c.requests().size());
  }

  @Test
  void anUnreachableNodeNamedByARedirectIsAnErrorAndTheNextRequestAsksTheClusterAgain()
      throws IOException {
    FakeSluiceServer a = server();
    URI gone = url(refusingPort());
    redirect(a, "POST", P0, gone.toString());
    SluiceClient client = SluiceClient.create(URI.create(a.url()));

    SluiceClientException e = assertThrows(SluiceClientException.class, () -> append(client, 0));
    assertTrue(e.getMessage().startsWith("cannot reach " + gone + "/"), e.getMessage());

    a.onJson("POST", P0, 200, "{\"offset\":1}");
    assertEquals(1, append(client, 0));
    assertEquals(2, a.requests().size());
  }

  @Test
  void thePartitionOfAPathIsItsTopicAndNumber() {
    assertEquals(
        "topics/t/partitions/0",
        SluiceClient.partitionKey("topics/t/partitions/0/records?acks=all"));
    assertEquals(
        "topics/a%20b/partitions/12",
        SluiceClient.partitionKey("topics/a%20b/partitions/12/records/7"));
    assertEquals(
        "topics/t/partitions/3",
        SluiceClient.partitionKey("topics/t/partitions/3/records?offset=0&maxBytes=1"));
    assertNull(SluiceClient.partitionKey("topics/t/partitions"));
    assertNull(SluiceClient.partitionKey("topics/t"));
    assertNull(SluiceClient.partitionKey("topics"));
    assertNull(SluiceClient.partitionKey("producers"));
    assertNull(SluiceClient.partitionKey("topics/t/config"));
  }

  @Test
  void theNodeOfARedirectIsTheLocationUpToThePartitionsPath() {
    String p = "topics/t/partitions/0";

    assertEquals(
        URI.create("http://10.0.0.2:7700/"),
        SluiceClient.nodeRoot(URI.create("http://10.0.0.2:7700/" + p + "/records?acks=all"), p));
    assertEquals(
        URI.create("https://node2.example:443/sluice/"),
        SluiceClient.nodeRoot(URI.create("https://node2.example:443/sluice/" + p + "/records"), p));
    assertNull(SluiceClient.nodeRoot(URI.create("http://10.0.0.2:7700/elsewhere"), p));
    assertNull(
        SluiceClient.nodeRoot(URI.create("http://10.0.0.2:7700/topics/t/partitions/01/x"), p));
  }
}
