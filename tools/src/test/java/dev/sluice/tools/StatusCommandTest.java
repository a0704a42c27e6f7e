package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.client.testing.FakeSluiceServer;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StatusCommandTest {

  /** What {@code GET /cluster/status} answers: node 3 gone, its partition under-replicated. */
  private static final String DEGRADED =
      """
      {"node":1,
       "controller":{"node":1,"address":"pekko://sluice@127.0.0.1:7710"},
       "members":[
         {"node":1,"address":"pekko://sluice@127.0.0.1:7710","status":"Up","reachable":true},
         {"node":2,"address":"pekko://sluice@127.0.0.1:7720","status":"Up","reachable":true},
         {"node":-1,"address":"pekko://sluice@127.0.0.1:7740","status":"Joining","reachable":true}],
       "partitions":{"total":4,
         "underReplicated":[{"topic":"orders","partition":1,"leader":2,"replicas":[3,2,1],"inSync":[2,1]}],
         "underMinInSync":[],
         "offline":[{"topic":"logs","partition":0,"leader":-1,"replicas":[3],"inSync":[3]}]},
       "leadersPerNode":{"1":2,"2":1},
       "stalledReplicas":[{"topic":"orders","partition":0,"node":2,"stallCount":3,"unhealthy":true}],
       "unansweredNodes":[]}
      """;

  private FakeSluiceServer server;

  @BeforeEach
  void start() throws IOException {
    server = new FakeSluiceServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void printsMembersPartitionTroubleAndStalledReplicas() {
    server.onJson("GET", "/cluster/status", 200, DEGRADED);

    CliRun run = CliRun.run("status", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals(
        """
        as seen by node 1; controller on 1 (pekko://sluice@127.0.0.1:7710)
        NODE  ADDRESS                        STATUS   REACHABLE  LEADS
        1     pekko://sluice@127.0.0.1:7710  Up       yes        2
        2     pekko://sluice@127.0.0.1:7720  Up       yes        1
        ?     pekko://sluice@127.0.0.1:7740  Joining  yes        -

        partitions: 4, under-replicated: 1, under-min-in-sync: 0, offline: 1
        UNDER-REPLICATED  LEADER  REPLICAS  IN-SYNC
        orders-1          2       [3,2,1]   [2,1]
        OFFLINE  LEADER  REPLICAS  IN-SYNC
        logs-0   none    [3]       [3]

        stalled replicas: 1
        STALLED   NODE  STALLS  UNHEALTHY
        orders-0  2     3       yes
        """,
        run.out());
    assertEquals("GET", server.requests().get(0).method());
  }

  @Test
  void jsonPrintsTheServersDocument() throws Exception {
    server.onJson("GET", "/cluster/status", 200, DEGRADED);

    CliRun run = CliRun.run("status", "--json", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    JsonNode printed = ApiJson.mapper().readTree(run.out());
    assertEquals(ApiJson.mapper().readTree(DEGRADED), printed);
    assertEquals(1, printed.get("controller").get("node").asInt());
    assertEquals("orders", printed.get("stalledReplicas").get(0).get("topic").asText());
    assertTrue(printed.get("stalledReplicas").get(0).get("unhealthy").asBoolean());
  }

  @Test
  void watchRedrawsInPlaceEveryInterval() {
    server.onJson("GET", "/cluster/status", 200, DEGRADED);

    CliRun run =
        CliRun.run(
            "status", "--watch", "--interval", "1", "--count", "2", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals(2, server.requests().size());
    String[] frames = run.out().split(java.util.regex.Pattern.quote(StatusCommand.CLEAR), -1);
    assertEquals(3, frames.length, "two frames, each after a clear: " + run.out());
    assertEquals("", frames[0]);
    assertEquals(frames[1], frames[2]);
    assertTrue(frames[1].startsWith("every 1s, Ctrl-C to stop\nas seen by node 1"), frames[1]);
  }

  @Test
  void watchWithJsonPrintsOneDocumentPerLine() throws Exception {
    server.onJson("GET", "/cluster/status", 200, DEGRADED);

    CliRun run =
        CliRun.run(
            "status",
            "--watch",
            "--json",
            "--interval",
            "1",
            "--count",
            "2",
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    String[] lines = run.out().split("\n");
    assertEquals(2, lines.length, run.out());
    for (String line : lines) {
      assertEquals(ApiJson.mapper().readTree(DEGRADED), ApiJson.mapper().readTree(line));
    }
  }

  @Test
  void aServerErrorExitsOneWithItsMessage() {
    server.onJson(
        "GET",
        "/cluster/status",
        503,
        "{\"error\":\"this node has not received cluster metadata yet; retry\"}");

    CliRun run = CliRun.run("status", "--server", server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertEquals("error: this node has not received cluster metadata yet; retry\n", run.err());
  }
}
