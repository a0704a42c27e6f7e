package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.api.PartitionDescription;
import dev.sluice.api.ReplicaDescription;
import dev.sluice.api.TopicDescription;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClientException;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node JVMs; the one hosting the controller singleton (the oldest member) is killed with
 * SIGKILL. The survivors down it (split brain resolver, keep-majority), the controller recovers on
 * a survivor from the shared H2 journal, keeps every assignment, and fails over the partitions the
 * killed node led to an in-sync replica at a higher leader epoch. It still creates topics. The
 * killed node, restarted with the same config and data, rejoins and reopens its replicas.
 */
class ControllerFailoverIT {
  private static final Duration STARTUP = Duration.ofSeconds(90);
  private static final Duration FAILOVER = Duration.ofSeconds(60);

  @TempDir Path dir;
  private final List<NodeJvm> jvms = new ArrayList<>();
  private final List<Ports> ports = new ArrayList<>();
  private ItSecurity security;
  private HttpClient http;

  /** Every port is fixed, so that a restarted node comes back at the address it had. */
  private record Ports(int api, int replication, int management, int cluster) {
    String clusterAddress() {
      return "pekko://sluice@127.0.0.1:" + cluster;
    }
  }

  @AfterEach
  void killNodes() throws InterruptedException {
    for (NodeJvm jvm : jvms) {
      jvm.close();
    }
  }

  @Test
  void controllerMovesToASurvivorAndTheKilledNodeRejoins() throws Exception {
    security = ItSecurity.secure(dir);
    http = security.httpClient();
    for (int id = 1; id <= 3; id++) {
      ports.add(
          new Ports(
              NodeJvm.freePort(), NodeJvm.freePort(), NodeJvm.freePort(), NodeJvm.freePort()));
    }
    String seeds =
        ports.stream()
            .map(p -> "\"127.0.0.1:" + p.cluster() + "\"")
            .collect(Collectors.joining(","));
    for (int id = 1; id <= 3; id++) {
      Ports p = ports.get(id - 1);
      List<String> lines =
          new ArrayList<>(
              List.of(
                  "sluice.node.id = " + id,
                  "sluice.data-dir = \"" + dir.resolve("node-" + id) + "\"",
                  "sluice.controller.h2-path = \"" + dir.resolve("controller/journal") + "\"",
                  "sluice.api.port = " + p.api(),
                  "sluice.replication.port = " + p.replication(),
                  "sluice.management.port = " + p.management(),
                  "sluice.cluster.port = " + p.cluster(),
                  "sluice.cluster.seed-nodes = [" + seeds + "]",
                  "sluice.storage.flush = os"));
      lines.addAll(security.nodeConfigLines(id));
      lines.add("");
      Path config =
          NodeJvm.writeConfig(dir.resolve("node-" + id + ".conf"), String.join("\n", lines));
      jvms.add(new NodeJvm("node-" + id, config).start("-Xmx256m"));
    }
    for (int id = 1; id <= 3; id++) {
      jvm(id).awaitOutput("Sluice node " + id + " up", STARTUP);
    }
    // Every node must see the others Up, not only the leader that moved them there: a node
    // still seeing itself as Joining when the oldest dies is not counted by keep-majority, and
    // the survivors would down themselves instead of the killed node.
    awaitCondition(
        () -> upMembers(1).size() == 3 && upMembers(2).size() == 3 && upMembers(3).size() == 3,
        "every node sees 3 members Up",
        STARTUP);
    for (int id = 1; id <= 3; id++) {
      awaitAnyOutput("Node " + id + " is live", STARTUP);
    }

    client(1).createTopic("t", 6, 3);
    TopicDescription before = describe(1, "t").orElseThrow();

    int killed = nodeAt(members(1).get("oldest").asText());
    List<Integer> survivors = new ArrayList<>(List.of(1, 2, 3));
    survivors.remove(Integer.valueOf(killed));
    int survivor = survivors.get(0);
    Map<Integer, PartitionDescription> ledByKilled = new HashMap<>();
    for (PartitionDescription p : before.partitions()) {
      if (p.leader() == killed) {
        ledByKilled.put(p.partition(), p);
      }
    }
    assertEquals(2, ledByKilled.size(), "partitions led by node " + killed + ": " + before);

    jvm(killed).kill9();

    String killedAddress = ports.get(killed - 1).clusterAddress();
    awaitCondition(
        () -> {
          List<String> up = upMembers(survivor);
          return up.size() == 2
              && !up.contains(killedAddress)
              && !isMember(survivor, killedAddress);
        },
        "the survivors form a 2-node cluster without node " + killed,
        FAILOVER);
    awaitCondition(
        () ->
            describe(survivor, "t")
                .map(
                    view ->
                        ledByKilled.keySet().stream()
                            .allMatch(p -> partition(view, p).leader() != killed))
                .orElse(false),
        "the partitions node " + killed + " led have a new leader",
        FAILOVER);

    TopicDescription after = describe(survivor, "t").orElseThrow();
    assertEquals(6, after.partitions().size());
    for (PartitionDescription old : before.partitions()) {
      int p = old.partition();
      PartitionDescription now = partition(after, p);
      assertEquals(old.replicaNodes(), now.replicaNodes(), "replicas of partition " + p);
      if (ledByKilled.containsKey(p)) {
        int leader = now.leader();
        assertNotEquals(killed, leader, "partition " + p);
        assertTrue(old.inSync().contains(leader), "new leader " + leader + " was in sync: " + old);
        assertTrue(
            now.leaderEpoch() > old.leaderEpoch(),
            "leader epoch of partition " + p + " went up: " + old + " -> " + now);
        assertTrue(!now.inSync().contains(killed), "killed node left the in-sync set: " + now);
      } else {
        assertEquals(old.leader(), now.leader(), "unaffected partition " + p);
      }
    }
    // Both survivors apply the controller's new metadata.
    for (int id : survivors) {
      awaitCondition(
          () -> describe(id, "t").map(v -> leaders(v).equals(leaders(after))).orElse(false),
          "node " + id + " sees the new leaders",
          FAILOVER);
    }

    // The moved controller persists new topics.
    TopicDescription second = client(survivors.get(1)).createTopic("u", 2, 2);
    for (PartitionDescription p : second.partitions()) {
      assertTrue(
          survivors.containsAll(p.replicaNodes()),
          "placed on the live nodes " + survivors + ": " + p);
    }

    jvm(killed).start("-Xmx256m");
    jvm(killed).awaitOutput("Sluice node " + killed + " up", STARTUP);
    awaitCondition(
        () -> upMembers(survivor).contains(killedAddress) && upMembers(survivor).size() == 3,
        "node " + killed + " rejoined: 3 members Up",
        STARTUP);
    awaitCondition(
        () ->
            describe(killed, "t")
                .map(
                    view ->
                        view.partitions().stream()
                            .flatMap(p -> p.replica(killed).stream())
                            .allMatch(r -> r.leo() != ReplicaDescription.UNKNOWN))
                .orElse(false),
        "node " + killed + " reopened its replicas of t",
        STARTUP);
    assertTrue(describe(killed, "u").isPresent(), "the restarted node knows topic u");
  }

  private NodeJvm jvm(int id) {
    return jvms.get(id - 1);
  }

  private int nodeAt(String clusterAddress) {
    for (int id = 1; id <= 3; id++) {
      if (ports.get(id - 1).clusterAddress().equals(clusterAddress)) {
        return id;
      }
    }
    throw new AssertionError("no node at " + clusterAddress);
  }

  /** Waits until some node's output holds {@code text}: the controller logs on its host. */
  private void awaitAnyOutput(String text, Duration timeout) throws InterruptedException {
    awaitCondition(
        () -> jvms.stream().anyMatch(j -> j.output().stream().anyMatch(l -> l.contains(text))),
        "a node logged \"" + text + "\"",
        timeout);
  }

  /** pekko-management's {@code /cluster/members} as node {@code id} sees it; empty if down. */
  private JsonNode members(int id) {
    try {
      HttpResponse<String> r =
          http.send(
              security
                  .withManagementAuth(
                      HttpRequest.newBuilder(
                          security.uri(ports.get(id - 1).management()).resolve("/cluster/members")))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200
          ? ApiJson.mapper().readTree(r.body())
          : ApiJson.mapper().createObjectNode();
    } catch (IOException e) {
      return ApiJson.mapper().createObjectNode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ApiJson.mapper().createObjectNode();
    }
  }

  private List<String> upMembers(int id) {
    List<String> up = new ArrayList<>();
    members(id)
        .path("members")
        .forEach(
            m -> {
              if (m.path("status").asText().equals("Up")) {
                up.add(m.path("node").asText());
              }
            });
    return up;
  }

  private boolean isMember(int id, String address) {
    for (JsonNode m : members(id).path("members")) {
      if (m.path("node").asText().equals(address)) {
        return true;
      }
    }
    return false;
  }

  /** The topic as node {@code id} describes it; empty while it cannot (killed, not up yet). */
  private Optional<TopicDescription> describe(int id, String topic) {
    try {
      return Optional.of(client(id).describeTopic(topic));
    } catch (SluiceClientException e) {
      return Optional.empty();
    }
  }

  private static PartitionDescription partition(TopicDescription view, int partition) {
    return view.partition(partition)
        .orElseThrow(() -> new AssertionError("no partition " + partition + " in " + view));
  }

  private static List<Integer> leaders(TopicDescription view) {
    return view.partitions().stream().map(PartitionDescription::leader).toList();
  }

  private SluiceClient client(int id) {
    return security.client(security.uri(ports.get(id - 1).api()));
  }

  private static void awaitCondition(BooleanSupplier condition, String what, Duration timeout)
      throws InterruptedException {
    Await.until(condition, timeout, what);
  }
}
