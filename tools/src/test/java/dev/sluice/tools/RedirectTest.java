package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.testing.FakeSluiceServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node that does not lead a partition answers 307 to the leader; the CLI must follow it. */
class RedirectTest {

  private static final String RECORDS = "/topics/orders/partitions/0/records";

  private FakeSluiceServer follower;
  private FakeSluiceServer leader;

  @BeforeEach
  void start() throws IOException {
    follower = new FakeSluiceServer();
    leader = new FakeSluiceServer();
  }

  @AfterEach
  void stop() {
    follower.close();
    leader.close();
  }

  private void redirectToLeader(String method, String path) {
    follower.on(
        method,
        path,
        (exchange, request) ->
            FakeSluiceServer.redirect(
                exchange,
                URI.create(
                    leader.url() + path + (request.query() == null ? "" : "?" + request.query()))));
  }

  @Test
  void aProduceIsRepeatedOnTheLeaderWithItsBodyKeyAndAcks() {
    redirectToLeader("POST", RECORDS);
    leader.onJson("POST", RECORDS, 200, "{\"offset\":41}");

    CliRun run =
        CliRun.run(
            "produce",
            "orders",
            "--key",
            "k",
            "--acks",
            "leader",
            "--value",
            "v",
            "--server",
            follower.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("partition 0 offset 41\n", run.out());
    FakeSluiceServer.Request atLeader = leader.requests().get(0);
    assertEquals("v", atLeader.bodyText());
    assertEquals("k", atLeader.key());
    assertEquals("acks=leader", atLeader.query());
  }

  @Test
  void aValueFileIsSentAgainToTheLeader(@TempDir Path dir) throws IOException {
    redirectToLeader("POST", RECORDS);
    leader.onJson("POST", RECORDS, 200, "{\"offset\":0}");
    byte[] value = new byte[1 << 20];
    new Random(3).nextBytes(value);
    Path file = Files.write(dir.resolve("v.bin"), value);

    CliRun run =
        CliRun.run(
            "produce", "orders", "--value-file", file.toString(), "--server", follower.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertArrayEquals(value, leader.requests().get(0).body());
  }

  @Test
  void aRelativeLocationResolvesAgainstTheAskedNode() {
    follower.on(
        "GET",
        "/topics/old",
        (exchange, request) -> FakeSluiceServer.redirect(exchange, URI.create("/topics/new")));
    follower.onJson(
        "GET",
        "/topics/new",
        200,
        "{\"name\":\"new\",\"partitionCount\":1,\"replicationFactor\":1}");

    CliRun run = CliRun.run("topic", "describe", "old", "--server", follower.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertTrue(run.out().startsWith("topic new: 1 partition,"), run::toString);
  }

  @Test
  void aRedirectLoopEndsWithAnError() {
    follower.on(
        "GET",
        "/topics/orders",
        (exchange, request) ->
            FakeSluiceServer.redirect(exchange, URI.create(follower.url() + "/topics/orders")));

    CliRun run = CliRun.run("topic", "describe", "orders", "--server", follower.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(run.err().startsWith("error: too many redirects"), run::toString);
    assertEquals(SluiceClient.MAX_REDIRECTS + 1, follower.requests().size());
  }
}
