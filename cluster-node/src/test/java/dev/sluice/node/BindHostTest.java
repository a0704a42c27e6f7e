package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import dev.sluice.config.SluiceSettings;
import dev.sluice.log.testing.Conditions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice.node.bind-host} against {@code sluice.node.host}: every listener binds the first,
 * everything the node tells others names the second. Both are loopback addresses here (127.0.0.2
 * and 127.0.0.1), so a listener on the wrong one is refused a connection.
 */
class BindHostTest {
  private static final String ADVERTISED = "127.0.0.1";
  private static final String BOUND = "127.0.0.2";

  @Test
  void pekkoBindsTheBindHostAndAdvertisesTheHost(@TempDir Path dir) {
    Config loaded = TestNodes.singleNode(dir, Map.of("sluice.node.bind-host", "0.0.0.0"));
    SluiceSettings settings =
        SluiceSettings.from(
            TestNodes.singleNode(
                dir,
                Map.of(
                    "sluice.node.bind-host",
                    "0.0.0.0",
                    "sluice.security.allow-plaintext-on-network",
                    "on")));
    Config node = NodeConfig.forNode(settings, loaded);
    assertEquals(ADVERTISED, node.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals("0.0.0.0", node.getString("pekko.remote.artery.bind.hostname"));
    assertEquals(ADVERTISED, node.getString("pekko.management.http.hostname"));
    assertEquals("0.0.0.0", node.getString("pekko.management.http.bind-hostname"));

    // Without bind-host, both are the host.
    SluiceSettings plain = SluiceSettings.from(TestNodes.singleNode(dir, Map.of()));
    Config same = NodeConfig.forNode(plain, TestNodes.singleNode(dir, Map.of()));
    assertEquals(ADVERTISED, same.getString("pekko.remote.artery.bind.hostname"));
    assertEquals(ADVERTISED, same.getString("pekko.management.http.bind-hostname"));
  }

  @Test
  void everyListenerBindsTheBindHostWhileTheNodeAdvertisesTheHost(@TempDir Path dir)
      throws Exception {
    try (SluiceNode node =
        SluiceNode.start(TestNodes.singleNode(dir, Map.of("sluice.node.bind-host", BOUND)))) {
      NodeAddress self = node.address();
      assertEquals(ADVERTISED, self.host());
      assertEquals(URI.create("http://" + ADVERTISED + ":" + node.apiPort()), self.apiUri());
      assertEquals(
          ADVERTISED, Cluster.get(node.system()).selfMember().address().getHost().orElseThrow());

      // The client API answers on the bound address (once the node has its metadata).
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest topics =
          HttpRequest.newBuilder(URI.create("http://" + BOUND + ":" + node.apiPort() + "/topics"))
              .timeout(Duration.ofSeconds(30))
              .build();
      Conditions.await(
          () -> send(http, topics).statusCode() == 200,
          Duration.ofSeconds(30),
          "GET /topics answered on " + BOUND);

      int clusterPort = Cluster.get(node.system()).selfMember().address().getPort().orElseThrow();
      Map<String, Integer> ports =
          Map.of(
              "api", node.apiPort(),
              "replication", node.replicationServer().address().getPort(),
              "management", self.managementPort(),
              "cluster", clusterPort);
      assertEquals(BOUND, node.replicationServer().address().getAddress().getHostAddress());
      for (Map.Entry<String, Integer> port : ports.entrySet()) {
        connect(BOUND, port.getValue());
        assertThrows(
            ConnectException.class,
            () -> connect(ADVERTISED, port.getValue()),
            port.getKey() + " listens on " + ADVERTISED);
      }
    }
  }

  private static HttpResponse<String> send(HttpClient http, HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void connect(String host, int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 5_000);
    }
  }
}
