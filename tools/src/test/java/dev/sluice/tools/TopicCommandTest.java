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

class TopicCommandTest {

  private static final String ORDERS =
      """
      {"name":"orders","partitionCount":2,"replicationFactor":2,"partitions":[
        {"partition":0,"leader":1,"leaderEpoch":0,"inSync":[1,2],"replicas":[
          {"node":1,"role":"leader","leo":5,"hw":5,"state":"leading","lagBytes":0},
          {"node":2,"role":"follower","leo":5,"hw":5,"state":"inSync","lagBytes":0}]},
        {"partition":1,"leader":2,"leaderEpoch":4,"inSync":[2],"replicas":[
          {"node":2,"role":"leader","leo":9,"hw":9,"state":"leading","lagBytes":0},
          {"node":1,"role":"follower","leo":3,"hw":3,"state":"catchingUp","lagBytes":1048576,
           "stalled":true,"stallCount":2,"backoffMillis":400,"lastError":"connection reset"}]}]}
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
  void createSendsTheTopicAndPrintsASummary() throws IOException {
    server.onJson("POST", "/topics", 201, ORDERS);

    CliRun run =
        CliRun.run(
            "topic",
            "create",
            "orders",
            "--partitions",
            "2",
            "--replicas",
            "2",
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("created topic orders: 2 partitions, replication factor 2\n", run.out());
    JsonNode sent = ApiJson.mapper().readTree(server.requests().get(0).body());
    assertEquals("orders", sent.get("name").asText());
    assertEquals(2, sent.get("partitions").asInt());
    assertEquals(2, sent.get("replicationFactor").asInt());
  }

  @Test
  void creatingAnExistingTopicExitsOneWithTheServersMessage() {
    server.onJson("POST", "/topics", 409, "{\"error\":\"topic orders already exists\"}");

    CliRun run =
        CliRun.run(
            "topic",
            "create",
            "orders",
            "--partitions",
            "1",
            "--replicas",
            "1",
            "--server",
            server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertEquals("error: topic orders already exists\n", run.err());
  }

  @Test
  void listPrintsATable() {
    server.onJson(
        "GET",
        "/topics",
        200,
        "{\"topics\":["
            + ORDERS
            + ",{\"name\":\"a\",\"partitionCount\":12,\"replicationFactor\":3}]}");

    CliRun run = CliRun.run("topic", "list", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals(
        """
        NAME    PARTITIONS  REPLICATION-FACTOR
        orders  2           2
        a       12          3
        """,
        run.out());
  }

  @Test
  void describePrintsOneRowPerReplica() {
    server.onJson("GET", "/topics/orders", 200, ORDERS);

    CliRun run = CliRun.run("topic", "describe", "orders", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals(
        """
        topic orders: 2 partitions, replication factor 2
        settings: node defaults
        PARTITION  LEADER  PREFERRED  EPOCH  IN-SYNC  NODE  ROLE      LEO  HW  STATE       LAG-BYTES  HEALTH
        0          1       1          0      [1,2]    1     leader    5    5   leading     0          ok
        0          1       1          0      [1,2]    2     follower  5    5   inSync      0          ok
        1          2       2          4      [2]      2     leader    9    9   leading     0          ok
        1          2       2          4      [2]      1     follower  3    3   catchingUp  1048576    STALLED stalls=2 backoff=400ms error=connection reset
        """,
        run.out());
  }

  @Test
  void describeJsonPrintsTheServersJsonPrettyPrinted() throws IOException {
    server.onJson("GET", "/topics/orders", 200, ORDERS);

    CliRun run = CliRun.run("topic", "describe", "orders", "--json", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals(ApiJson.mapper().readTree(ORDERS), ApiJson.mapper().readTree(run.out()));
    assertTrue(run.out().contains("\n  \"partitions\""), "pretty-printed: " + run.out());
  }

  @Test
  void describingAnUnknownTopicExitsOne() {
    server.onJson("GET", "/topics/nope", 404, "{\"error\":\"unknown topic nope\"}");

    CliRun run = CliRun.run("topic", "describe", "nope", "--server", server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertEquals("error: unknown topic nope\n", run.err());
  }

  @Test
  void createSendsTheSettings() throws IOException {
    server.onJson("POST", "/topics", 201, ORDERS);

    CliRun run =
        CliRun.run(
            "topic",
            "create",
            "orders",
            "--partitions",
            "2",
            "--replicas",
            "2",
            "--config",
            "retention.bytes=1GiB",
            "--config",
            "flush=os",
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    JsonNode sent = ApiJson.mapper().readTree(server.requests().get(0).body());
    assertEquals("1GiB", sent.get("config").get("retention.bytes").asText());
    assertEquals("os", sent.get("config").get("flush").asText());
  }

  @Test
  void aConfigOptionWithoutEqualsIsAUsageError() {
    CliRun run =
        CliRun.run(
            "topic", "alter", "orders", "--config", "retention.bytes", "--server", server.url());

    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(run.err().contains("KEY=VALUE"), run.err());
    assertEquals(0, server.requests().size());
  }

  @Test
  void alterSendsChangesAndAnEmptyValueAsNull() throws IOException {
    server.onJson(
        "PATCH",
        "/topics/orders/config",
        200,
        ORDERS.replace(
            "\"partitionCount\":2", "\"config\":{\"flush\":\"os\"},\"partitionCount\":2"));

    CliRun run =
        CliRun.run(
            "topic",
            "alter",
            "orders",
            "--config",
            "flush=os",
            "--config",
            "retention.bytes=",
            "--server",
            server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("topic orders settings: flush=os\n", run.out());
    JsonNode sent = ApiJson.mapper().readTree(server.requests().get(0).body()).get("config");
    assertEquals("os", sent.get("flush").asText());
    assertTrue(sent.get("retention.bytes").isNull(), sent.toString());
  }

  @Test
  void aBadSettingExitsOneWithTheServersMessage() {
    server.onJson(
        "PATCH",
        "/topics/orders/config",
        400,
        "{\"error\":\"invalid topic setting: flush = never: must be one of every-batch, os\"}");

    CliRun run =
        CliRun.run("topic", "alter", "orders", "--config", "flush=never", "--server", server.url());

    assertEquals(1, run.exitCode(), run::toString);
    assertEquals(
        "error: invalid topic setting: flush = never: must be one of every-batch, os\n", run.err());
  }

  @Test
  void deleteWithYesSendsDeleteAndSaysWhatHappens() {
    server.onJson(
        "DELETE",
        "/topics/orders",
        200,
        "{\"name\":\"orders\",\"topicId\":\"abc\",\"partitionCount\":2}");

    CliRun run = CliRun.run("topic", "delete", "orders", "--yes", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals(
        "deleted topic orders (2 partitions); every replica removes its data\n", run.out());
    assertEquals("DELETE", server.requests().get(0).method());
  }

  @Test
  void deleteWithoutYesAndWithoutATerminalRefusesBeforeSendingAnything() {
    CliRun run = CliRun.run("topic", "delete", "orders", "--server", server.url());

    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(run.err().contains("--yes"), run.err());
    assertEquals(0, server.requests().size());
  }

  @Test
  void addPartitionsSendsTheNewCount() throws IOException {
    server.onJson("POST", "/topics/orders/partitions", 200, ORDERS);

    CliRun run =
        CliRun.run("topic", "add-partitions", "orders", "--count", "2", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("now topic orders: 2 partitions, replication factor 2\n", run.out());
    assertEquals(
        2, ApiJson.mapper().readTree(server.requests().get(0).body()).get("partitions").asInt());
  }

  @Test
  void leadersRebalancePrintsTheMoves() {
    server.onJson(
        "POST",
        "/leaders/rebalance",
        200,
        "{\"moves\":[{\"topic\":\"orders\",\"partition\":1,\"from\":2,\"to\":1,"
            + "\"leaderEpoch\":5}]}");

    CliRun run = CliRun.run("leaders", "rebalance", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertEquals(
        """
        TOPIC   PARTITION  FROM  TO  EPOCH
        orders  1          2     1   5
        """,
        run.out());
  }

  @Test
  void leadersRebalanceWithNothingToMoveSaysSo() {
    server.onJson("POST", "/leaders/rebalance", 200, "{\"moves\":[]}");

    CliRun run = CliRun.run("leaders", "rebalance", "--server", server.url());

    assertEquals(0, run.exitCode(), run::toString);
    assertTrue(run.out().contains("led by it already"), run.out());
  }
}
