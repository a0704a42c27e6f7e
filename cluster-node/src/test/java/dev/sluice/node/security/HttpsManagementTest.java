package dev.sluice.node.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestCluster;
import dev.sluice.node.TestNodes;
import dev.sluice.node.TestSecurity;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Management of a node with TLS and {@code management.auth = tokens}: served over HTTPS with the
 * node's certificate, every route (even {@code /ready}) wants HTTP Basic whose password is a token
 * with {@code admin}; a plaintext connection and a client that does not trust the cluster CA get
 * nothing. The client API of the same node is HTTPS with bearer tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpsManagementTest {
  @TempDir static Path dir;
  private SluiceNode node;
  private TestSecurity security;
  private String readerToken;
  private HttpClient https;

  @BeforeAll
  void startNode() throws Exception {
    security = TestSecurity.create(dir);
    readerToken =
        new TokenFile(security.tokensFile())
            .create("reader", List.of(Permission.consume("*")), Clock.systemUTC())
            .token();
    node = SluiceNode.start(TestNodes.secureSingleNode(dir, security, Map.of()));
    https =
        HttpClient.newBuilder()
            .sslContext(security.clientContext())
            .connectTimeout(Duration.ofSeconds(10))
            .build();
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  @Test
  void readyAnswersOverHttpsToAnAdminTokenOnly() throws Exception {
    awaitStatus(200, management("https", "/ready"), basic("admin", security.adminToken()));
    assertEquals(401, send(https, management("https", "/ready"), null).statusCode());
    assertEquals(
        401, send(https, management("https", "/ready"), basic("reader", readerToken)).statusCode());
    assertEquals(
        401,
        send(https, management("https", "/ready"), basic("admin", "sluice_unknown")).statusCode());
  }

  @Test
  void metricsAnswerOverHttpsToAnAdminTokenOnly() throws Exception {
    awaitStatus(200, management("https", "/metrics"), basic("admin", security.adminToken()));
    assertEquals(401, send(https, management("https", "/metrics"), null).statusCode());
    assertEquals(
        401,
        send(https, management("https", "/metrics"), basic("reader", readerToken)).statusCode());
  }

  @Test
  void aPlaintextConnectionOrAClientWithoutTheClusterCaGetsNothing() {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    String admin = basic("admin", security.adminToken());
    assertThrows(IOException.class, () -> send(plain, management("http", "/ready"), admin));
    assertThrows(
        SSLHandshakeException.class, () -> send(plain, management("https", "/ready"), admin));
    assertThrows(IOException.class, () -> send(plain, api("http", "/topics"), bearer()));
  }

  @Test
  void theClientApiIsHttpsWithBearerTokens() throws Exception {
    assertEquals("https", node.apiUri().getScheme());
    // 503 until the controller answers
    awaitStatus(200, api("https", "/topics"), bearer());
    assertEquals(401, send(https, api("https", "/topics"), null).statusCode());
  }

  private URI management(String scheme, String path) {
    return URI.create(scheme + "://127.0.0.1:" + node.address().managementPort() + path);
  }

  private URI api(String scheme, String path) {
    return URI.create(scheme + "://127.0.0.1:" + node.apiPort() + path);
  }

  private String bearer() {
    return "Bearer " + security.adminToken();
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> send(HttpClient client, URI uri, String authorization)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return client.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Polls until {@code uri} answers {@code status}: a node becomes ready after it started. */
  private void awaitStatus(int status, URI uri, String authorization) throws Exception {
    Instant deadline = Instant.now().plus(TestCluster.TIMEOUT);
    int last = send(https, uri, authorization).statusCode();
    while (last != status) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(uri + " answered " + last + ", not " + status);
      }
      Thread.sleep(50); // polling interval of a condition wait
      last = send(https, uri, authorization).statusCode();
    }
  }
}
