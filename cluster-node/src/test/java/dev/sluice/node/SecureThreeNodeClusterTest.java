package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.security.NodeIdentity;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes with every listener on TLS (Artery {@code tls-tcp}, mutual TLS on the replication
 * port, HTTPS on the API and management) and bearer tokens: they form one cluster, replicate a
 * partition to all three replicas, acknowledge with acks=all and serve the records back; a request
 * without a token is refused, and a redirect to the leader stays on HTTPS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecureThreeNodeClusterTest {
  private static final String TOPIC = "secure";

  @TempDir static Path dir;
  private TestCluster cluster;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = TestCluster.startSecure(dir, 3, Map.of());
  }

  @AfterAll
  void stopCluster() {
    cluster.close();
  }

  @Test
  void producedRecordsReachEveryReplicaOverTlsAndAreServedBack() throws Exception {
    for (SluiceNode node : cluster.nodes()) {
      assertEquals("https", node.apiUri().getScheme(), node.apiUri().toString());
      assertEquals(
          "tls-tcp", node.system().settings().config().getString("pekko.remote.artery.transport"));
    }
    // Refused (400) until all three nodes registered with the controller.
    cluster.awaitCondition(
        () ->
            cluster
                    .post(
                        1,
                        "/topics",
                        "{\"name\":\"" + TOPIC + "\",\"partitions\":1,\"replicationFactor\":3}")
                    .statusCode()
                == 201,
        "topic created with three replicas");
    JsonNode partition = cluster.describe(1, TOPIC).get("partitions").get(0);
    int leader = partition.get("leader").asInt();
    int notLeader = leader == 1 ? 2 : 1;

    HttpResponse<String> anonymous =
        cluster.send(
            HttpRequest.newBuilder(cluster.uri(leader, "/topics/" + TOPIC))
                .header("Authorization", "Bearer sluice_unknown")
                .GET()
                .build());
    assertEquals(401, anonymous.statusCode(), anonymous.body());

    HttpResponse<String> redirected =
        cluster.send(
            HttpRequest.newBuilder(
                    cluster.uri(notLeader, "/topics/" + TOPIC + "/partitions/0/records"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build());
    assertEquals(307, redirected.statusCode(), redirected.body());
    String location = redirected.headers().firstValue("Location").orElseThrow();
    assertEquals(
        cluster.uri(leader, "/topics/" + TOPIC + "/partitions/0/records").toString(), location);
    assertTrue(location.startsWith("https://"), location);

    Random random = new Random(10);
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      byte[] value = new byte[1 + random.nextInt(200_000)];
      random.nextBytes(value);
      values.add(value);
      // acks=all over three replicas: both followers fetched it over mutual TLS
      assertEquals(i, cluster.produce(leader, TOPIC, 0, value));
    }
    PartitionId p = new PartitionId(TOPIC, 0);
    // the replication port speaks TLS and presents the leader's certificate
    SluiceNode leaderNode = cluster.node(leader);
    try (SSLSocket socket =
        (SSLSocket)
            cluster
                .security()
                .orElseThrow()
                .pki()
                .clientContext(notLeader)
                .getSocketFactory()
                .createSocket("127.0.0.1", leaderNode.replicationServer().address().getPort())) {
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      assertEquals(
          OptionalInt.of(leader), NodeIdentity.ofSession(socket.getSession()), "leader's identity");
    }
    for (SluiceNode node : cluster.nodes()) {
      assertEquals(
          values.size(),
          node.replicas().get(p).orElseThrow().log().logEndOffset(),
          "log end of node " + node.settings().node().id());
    }
    for (int offset = 0; offset < values.size(); offset++) {
      HttpResponse<byte[]> read =
          cluster.sendBytes(
              HttpRequest.newBuilder(
                      cluster.uri(leader, "/topics/" + TOPIC + "/partitions/0/records/" + offset))
                  .GET()
                  .build());
      assertEquals(200, read.statusCode());
      assertArrayEquals(values.get(offset), read.body(), "value at offset " + offset);
    }
  }
}
