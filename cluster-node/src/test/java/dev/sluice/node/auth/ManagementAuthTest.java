package dev.sluice.node.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.api.Auth;
import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP Basic on the management port as pekko-management applies it ({@code authenticateBasicAsync}
 * around the routes): the password must be a token holding admin.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManagementAuthTest {
  @TempDir static Path dir;
  private final ActorTestKit kit = ActorTestKit.create();
  private final HttpClient http = HttpClient.newHttpClient();
  private ServerBinding binding;
  private String admin;
  private String writer;
  private ManagementAuth auth;

  @BeforeAll
  void bind() throws Exception {
    TokenFile file = new TokenFile(dir.resolve("tokens.json"));
    admin = file.create("ops", List.of(Permission.admin()), Clock.systemUTC()).token();
    writer = file.create("writer", List.of(Permission.produce("*")), Clock.systemUTC()).token();
    auth =
        new ManagementAuth(
            TokenStore.open(file.path(), Duration.ofSeconds(10), Clock.systemUTC(), Runnable::run));
    AllDirectives d = new AllDirectives() {};
    Route route =
        d.authenticateBasicAsync(Auth.REALM, auth::authenticate, name -> d.complete(name));
    binding =
        Http.get(kit.system()).newServerAt("127.0.0.1", 0).bind(route).toCompletableFuture().get();
  }

  @AfterAll
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void anAdminTokenAsThePasswordIsAccepted() throws Exception {
    HttpResponse<String> r = get(Optional.of("anyone:" + admin));
    assertEquals(200, r.statusCode());
    assertEquals("ops", r.body());
  }

  @Test
  void anythingElseIs401() throws Exception {
    assertEquals(401, get(Optional.of("writer:" + writer)).statusCode());
    assertEquals(401, get(Optional.of("ops:" + admin + "x")).statusCode());
    assertEquals(401, get(Optional.of("ops:")).statusCode());
    HttpResponse<String> none = get(Optional.empty());
    assertEquals(401, none.statusCode());
    assertEquals(
        "Basic realm=\"sluice\",charset=UTF-8",
        none.headers().firstValue("WWW-Authenticate").orElse(""));
    assertEquals(Optional.of("ops"), auth.adminToken(admin));
    assertEquals(Optional.empty(), auth.adminToken(writer));
  }

  private HttpResponse<String> get(Optional<String> userColonPassword) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + "/ready"));
    userColonPassword.ifPresent(
        c ->
            b.header(
                "Authorization",
                "Basic " + Base64.getEncoder().encodeToString(c.getBytes(StandardCharsets.UTF_8))));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
