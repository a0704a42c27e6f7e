package dev.sluice.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Acks;
import dev.sluice.client.testing.FakeSluiceServer;
import dev.sluice.client.testing.TestCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client over HTTPS and with a bearer token: whom it trusts, where the token goes, and the
 * redirect it refuses. The servers are JDK HTTPS servers with self-signed certificates from
 * keytool; a certificate's PEM is the CA file that trusts it.
 */
class SluiceClientTlsTest {

  private static final String TOPICS = "/topics";
  private static final String RECORDS = "/topics/orders/partitions/0/records";
  private static final String TOKEN = "sluice_dGVzdC10b2tlbi1ub3QtYS1zZWNyZXQ";
  private static final String EMPTY_TOPIC_LIST = "{\"topics\":[]}";

  @TempDir static Path pki;

  private static TestCertificate node;
  private static TestCertificate foreign;

  private FakeSluiceServer server;

  @BeforeAll
  static void certificates() throws IOException {
    node = TestCertificate.generate(pki, "node");
    foreign = TestCertificate.generate(pki, "foreign");
  }

  @BeforeEach
  void start() throws IOException {
    server = FakeSluiceServer.https(node.serverContext());
    server.onJson("GET", TOPICS, 200, EMPTY_TOPIC_LIST);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void theCaFileMakesTheNodesCertificateTrusted() {
    SluiceClient client = SluiceClient.builder(URI.create(server.url())).caFile(node.pem()).build();

    assertTrue(client.listTopics().topics().isEmpty());
    assertEquals(1, server.requests().size());
  }

  @Test
  void withoutTheCaFileTheHandshakeFailsAndTheMessageSaysToPassIt() {
    SluiceClient client = SluiceClient.create(URI.create(server.url()));

    SluiceClientException e = assertThrows(SluiceClientException.class, client::listTopics);

    assertEquals(SluiceClientException.NO_STATUS, e.status());
    assertTrue(
        e.getMessage().startsWith("TLS handshake with " + server.url() + "/ failed: "),
        e.getMessage());
    assertTrue(e.getMessage().contains("pass the CA file of the cluster"), e.getMessage());
    assertTrue(server.requests().isEmpty(), "no request passed the handshake");
  }

  @Test
  void aCaFileOfAnotherAuthorityIsRefused() {
    SluiceClient client =
        SluiceClient.builder(URI.create(server.url())).caFile(foreign.pem()).build();

    SluiceClientException e = assertThrows(SluiceClientException.class, client::listTopics);

    assertTrue(e.getMessage().startsWith("TLS handshake with "), e.getMessage());
    assertTrue(
        e.getMessage().contains("check that the CA file is the CA that issued"), e.getMessage());
    assertTrue(server.requests().isEmpty());
  }

  @Test
  void aBundleTrustsEveryCertificateInIt() throws IOException {
    Path bundle = pki.resolve("bundle.pem");
    Files.writeString(
        bundle, Files.readString(foreign.pem(), UTF_8) + Files.readString(node.pem(), UTF_8));

    SluiceClient client = SluiceClient.builder(URI.create(server.url())).caFile(bundle).build();

    assertTrue(client.listTopics().topics().isEmpty());
  }

  @Test
  void theTokenIsSentOnEveryRequestAndAgainAfterARedirect() throws IOException {
    try (FakeSluiceServer leader = FakeSluiceServer.https(node.serverContext())) {
      leader.onJson("POST", RECORDS, 200, "{\"offset\":3}");
      server.on(
          "POST",
          RECORDS,
          (exchange, request) ->
              FakeSluiceServer.redirect(exchange, URI.create(leader.url() + RECORDS)));
      SluiceClient client =
          SluiceClient.builder(URI.create(server.url())).caFile(node.pem()).token(TOKEN).build();

      client.listTopics();
      long offset =
          client.append("orders", 0, null, Acks.ALL, () -> BodyPublishers.ofString("v"), false);

      assertEquals(3, offset);
      List<FakeSluiceServer.Request> first = server.requests();
      assertEquals(2, first.size());
      first.forEach(r -> assertEquals("Bearer " + TOKEN, r.authorization(), r.path()));
      FakeSluiceServer.Request repeated = leader.requests().get(0);
      assertEquals("Bearer " + TOKEN, repeated.authorization());
      assertEquals("v", repeated.bodyText());
    }
  }

  @Test
  void withoutATokenNoAuthorizationIsSent() {
    SluiceClient client = SluiceClient.builder(URI.create(server.url())).caFile(node.pem()).build();

    client.listTopics();

    assertNull(server.requests().get(0).authorization());
  }

  @Test
  void aRedirectFromHttpsToHttpIsRefusedWhileATokenIsSet() throws IOException {
    try (FakeSluiceServer plain = new FakeSluiceServer()) {
      plain.onJson("GET", TOPICS, 200, EMPTY_TOPIC_LIST);
      URI from = URI.create(server.url() + TOPICS);
      URI to = URI.create(plain.url() + TOPICS);
      server.on("GET", TOPICS, (exchange, request) -> FakeSluiceServer.redirect(exchange, to));
      SluiceClient withToken =
          SluiceClient.builder(URI.create(server.url())).caFile(node.pem()).token(TOKEN).build();

      SluiceClientException e = assertThrows(SluiceClientException.class, withToken::listTopics);

      assertEquals(307, e.status());
      assertEquals(
          "refusing the redirect from "
              + from
              + " to "
              + to
              + ": following it would send the bearer token without TLS",
          e.getMessage());
      assertTrue(plain.requests().isEmpty(), "the token never went out in clear text");

      // Without a token nothing secret is at stake: the redirect is followed as before.
      SluiceClient without =
          SluiceClient.builder(URI.create(server.url())).caFile(node.pem()).build();
      assertTrue(without.listTopics().topics().isEmpty());
      assertEquals(1, plain.requests().size());
    }
  }

  @Test
  void unauthorizedAndForbiddenCarryTheStatusAndTheErrorBody() {
    server.onJson(
        "GET", TOPICS, 401, "{\"error\":\"the bearer token is unknown or revoked on node 2\"}");
    server.onJson(
        "POST",
        RECORDS,
        403,
        "{\"error\":\"token 'reader' lacks produce:orders\",\"token\":\"reader\","
            + "\"requiredPermission\":\"produce:orders\"}");
    SluiceClient client =
        SluiceClient.builder(URI.create(server.url())).caFile(node.pem()).token(TOKEN).build();

    SluiceClientException unauthorized =
        assertThrows(SluiceClientException.class, client::listTopics);
    SluiceClientException forbidden =
        assertThrows(
            SluiceClientException.class,
            () -> client.append("orders", 0, null, null, () -> BodyPublishers.ofString("v"), true));

    assertEquals(401, unauthorized.status());
    assertEquals("the bearer token is unknown or revoked on node 2", unauthorized.getMessage());
    assertTrue(unauthorized.error().isPresent());
    assertEquals(403, forbidden.status());
    assertEquals("token 'reader' lacks produce:orders", forbidden.getMessage());
    assertEquals(
        "produce:orders", forbidden.error().orElseThrow().details().get("requiredPermission"));
  }

  @Test
  void aMissingCaFileIsNamed() {
    Path missing = pki.resolve("no-such-ca.pem");
    SluiceClient.Builder builder = SluiceClient.builder(URI.create(server.url()));

    UncheckedIOException e =
        assertThrows(UncheckedIOException.class, () -> builder.caFile(missing));

    assertEquals(
        "cannot read the CA file " + missing + ": no such file", e.getCause().getMessage());
  }

  @Test
  void aCaFileWithoutACertificateIsNamed() throws IOException {
    Path notPem = pki.resolve("not-a-ca.pem");
    Files.writeString(notPem, "this is no certificate\n");
    SluiceClient.Builder builder = SluiceClient.builder(URI.create(server.url()));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> builder.caFile(notPem));

    assertTrue(e.getMessage().startsWith("the CA file " + notPem + " holds no"), e.getMessage());
  }

  @Test
  void anEmptyCaFileIsNamed() throws IOException {
    Path empty = Files.createFile(pki.resolve("empty.pem"));
    SluiceClient.Builder builder = SluiceClient.builder(URI.create(server.url()));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> builder.caFile(empty));

    assertTrue(e.getMessage().startsWith("the CA file " + empty + " holds no"), e.getMessage());
  }

  @Test
  void trustIsGivenOnce() {
    SluiceClient.Builder builder =
        SluiceClient.builder(URI.create(server.url())).sslContext(node.serverContext());

    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> builder.caFile(node.pem()));

    assertEquals(
        "TLS trust is set twice: sslContext, then caFile(" + node.pem() + "); give one of them",
        e.getMessage());
  }

  @Test
  void aTokenThatCannotBeABearerTokenIsRefusedWithoutQuotingIt() {
    SluiceClient.Builder builder = SluiceClient.builder(URI.create(server.url()));

    IllegalArgumentException space =
        assertThrows(IllegalArgumentException.class, () -> builder.token("secret value"));
    IllegalArgumentException padding =
        assertThrows(IllegalArgumentException.class, () -> builder.token("=secret"));
    IllegalArgumentException empty =
        assertThrows(IllegalArgumentException.class, () -> builder.token(""));

    assertEquals(
        "the bearer token (12 characters) has U+0020 at index 6; a bearer token has only letters,"
            + " digits and -._~+/, then '=' padding",
        space.getMessage());
    assertFalse(padding.getMessage().contains("secret"), padding.getMessage());
    assertEquals("the bearer token is empty", empty.getMessage());
    builder.token("abc-._~+/XYZ09==");
  }
}
