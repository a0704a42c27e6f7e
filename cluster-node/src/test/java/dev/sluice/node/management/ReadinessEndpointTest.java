package dev.sluice.node.management;

import static dev.sluice.node.management.WatchdogDriver.stuckFollower;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.sluice.node.replica.AppliedMetadata;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code /ready} and {@code /metrics} served by pekko-management, configured as in {@code
 * sluice-defaults.conf}, while the watchdog escalates a stuck replica: the answer turns to 500
 * naming the replica, and back. A local ActorSystem with ManualTime, so the escalation needs no
 * waiting; the cluster's own checks and routes are left out.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadinessEndpointTest {
  private ActorTestKit testKit;
  private WatchdogDriver watchdog;
  private URI management;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void startManagement() throws Exception {
    testKit =
        ActorTestKit.create(
            "ReadinessEndpointTest",
            ConfigFactory.parseString(
                    """
                    pekko.actor.provider = local
                    pekko.management.http.hostname = "127.0.0.1"
                    pekko.management.http.port = 0
                    pekko.management.http.routes.cluster-management = ""
                    pekko.management.health-checks.readiness-checks.cluster-membership = ""
                    pekko.management.health-checks.readiness-checks.sharding = ""
                    """)
                .withFallback(
                    ConfigFactory.parseResources("sluice-defaults.conf")
                        .withOnlyPath("pekko.management"))
                .withFallback(ManualTime.config())
                .withFallback(ConfigFactory.load()));
    watchdog = new WatchdogDriver(testKit);
    NodeManagement.init(
        testKit.system(), 5, NodeFixtures.noReplicas(), watchdog.state, new AppliedMetadata());
    int port = PekkoManagement.get(testKit.system()).start().toCompletableFuture().get().getPort();
    management = URI.create("http://127.0.0.1:" + port);
  }

  @AfterAll
  void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void notReadyWhileAReplicaIsUnhealthyWithTheReplicaNamed() throws Exception {
    assertEquals(200, get("/ready").statusCode());

    var follower = stuckFollower();
    watchdog.watch("orders-3", follower);
    watchdog.escalateToUnhealthy();
    HttpResponse<String> notReady = get("/ready");
    assertEquals(500, notReady.statusCode());
    assertTrue(notReady.body().contains("replicas unhealthy: [orders-3]"), notReady.body());
    assertEquals(200, get("/alive").statusCode(), "liveness is not the watchdog's business");
    String metrics = get("/metrics").body();
    assertTrue(metrics.lines().anyMatch("sluice_node_ready 0"::equals), metrics);
    assertTrue(metrics.lines().anyMatch("sluice_watchdog_stalls_total 3"::equals), metrics);

    follower.offsets(145, 145);
    watchdog.advance(WatchdogDriver.INTERVAL);
    assertEquals(200, get("/ready").statusCode());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(management.resolve(path))
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
