package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.ErrorBody;
import dev.sluice.client.SluiceClientException;
import dev.sluice.client.testing.FakeSluiceServer;
import dev.sluice.client.testing.TestCertificate;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hints after an error the user fixes with an option: 401 (the token), 403 (the permission), a
 * failed TLS handshake (the CA file). The CLI runs in-process with an environment of the test's.
 */
class ErrorReporterTest {

  private static final String TOKEN = "sluice_c2VjcmV0LXRlc3QtdG9rZW4";
  private static final String UNAUTHORIZED =
      "{\"error\":\"this node requires a bearer token: send 'Authorization: Bearer <token>'\"}";

  @TempDir static Path pki;
  @TempDir Path dir;

  private static TestCertificate node;

  @BeforeAll
  static void certificate() throws IOException {
    node = TestCertificate.generate(pki, "node");
  }

  @Test
  void aMissingTokenIsAnUnauthorizedWithAHintToPassOne() throws IOException {
    try (FakeSluiceServer server = new FakeSluiceServer()) {
      server.onJson("GET", "/topics", 401, UNAUTHORIZED);

      CliRun run = CliRun.runWithEnv(Map.of("SLUICE_SERVER", server.url()), "topic", "list");

      assertEquals(1, run.exitCode(), run::toString);
      assertEquals(
          "error: this node requires a bearer token: send 'Authorization: Bearer <token>'\n"
              + "hint: the node requires a token: pass --token (or --token-file) or set"
              + " SLUICE_TOKEN\n",
          run.err());
    }
  }

  @Test
  void aRefusedTokenIsNamedByItsSourceAndNeverPrinted() throws IOException {
    try (FakeSluiceServer server = new FakeSluiceServer()) {
      server.onJson(
          "GET",
          "/topics",
          401,
          "{\"error\":\"the bearer token is unknown or revoked on node 1\"}");

      CliRun run =
          CliRun.runWithEnv(
              Map.of("SLUICE_SERVER", server.url(), "SLUICE_TOKEN", TOKEN), "topic", "list");

      assertEquals(
          "error: the bearer token is unknown or revoked on node 1\n"
              + "hint: the token from SLUICE_TOKEN was refused: pass --token (or --token-file) or"
              + " set SLUICE_TOKEN\n",
          run.err());
      assertEquals("Bearer " + TOKEN, server.requests().get(0).authorization());
    }
  }

  @Test
  void aForbiddenNamesThePermissionTheTokenLacks() throws IOException {
    try (FakeSluiceServer server = new FakeSluiceServer()) {
      server.onJson(
          "POST",
          "/topics/payments/partitions/0/records",
          403,
          "{\"error\":\"token 'reader' lacks produce:payments (it has consume:orders-*)\","
              + "\"token\":\"reader\",\"requiredPermission\":\"produce:payments\"}");
      Path tokenFile = Files.writeString(dir.resolve("reader.token"), TOKEN + "\n");

      CliRun run =
          CliRun.runWithEnv(
              Map.of(),
              "produce",
              "payments",
              "--value",
              "v",
              "--server",
              server.url(),
              "--token-file",
              tokenFile.toString());

      assertEquals(
          "error: token 'reader' lacks produce:payments (it has consume:orders-*)\n"
              + "hint: the token from --token-file "
              + tokenFile
              + " lacks the permission produce:payments: use a token that has it\n",
          run.err());
      assertEquals("Bearer " + TOKEN, server.requests().get(0).authorization());
    }
  }

  @Test
  void aForbiddenWithoutThePermissionDetailStillSaysWhy() {
    SluiceClientException forbidden =
        new SluiceClientException(403, "forbidden", new ErrorBody("forbidden"));

    assertEquals(
        Optional.of("the token lacks the permission this request needs"),
        ErrorReporter.hint(forbidden, Optional.empty()));
  }

  @Test
  void anUntrustedCertificateHintsAtTheCaFileAndTheCaFileFixesIt() throws IOException {
    try (FakeSluiceServer server = FakeSluiceServer.https(node.serverContext())) {
      server.onJson("GET", "/topics", 200, "{\"topics\":[]}");

      CliRun untrusted = CliRun.runWithEnv(Map.of("SLUICE_SERVER", server.url()), "topic", "list");
      CliRun trusted =
          CliRun.runWithEnv(
              Map.of("SLUICE_SERVER", server.url()),
              "topic",
              "list",
              "--ca-file",
              node.pem().toString());

      assertEquals(1, untrusted.exitCode(), untrusted::toString);
      assertTrue(
          untrusted.err().startsWith("error: TLS handshake with " + server.url() + "/ failed: "),
          untrusted::toString);
      assertTrue(
          untrusted
              .err()
              .endsWith(
                  "\nhint: pass --ca-file (or set SLUICE_CA_FILE) with the CA certificate that"
                      + " issued the node's certificate; the local cluster's is"
                      + " DIR/security/ca.pem (DIR: local-cluster's --data-dir, data/local-cluster"
                      + " by default)\n"),
          untrusted::toString);
      assertEquals(0, trusted.exitCode(), trusted::toString);
      assertEquals("no topics\n", trusted.err());
    }
  }

  @Test
  void aCaFileThatDoesNotVerifyTheNodeIsNamedWithItsSource() {
    SluiceClientException handshake =
        new SluiceClientException(
            "TLS handshake with https://127.0.0.1:7700/ failed: PKIX path building failed",
            new IOException(new SSLHandshakeException("PKIX path building failed")));
    ServerOptions.Connection connection =
        new ServerOptions.Connection(
            new ServerOptions.Sourced<>(
                List.of(URI.create("https://127.0.0.1:7700")), "SLUICE_SERVER"),
            Optional.of(new ServerOptions.Sourced<>(Path.of("/x/old-ca.pem"), "SLUICE_CA_FILE")),
            Optional.empty());

    assertEquals(
        Optional.of(
            "the CA file /x/old-ca.pem (from SLUICE_CA_FILE) did not verify the node's"
                + " certificate: pass the CA that issued it with --ca-file; the local cluster's is"
                + " DIR/security/ca.pem (DIR: local-cluster's --data-dir, data/local-cluster by"
                + " default)"),
        ErrorReporter.hint(handshake, Optional.of(connection)));
  }

  @Test
  void otherErrorsGetNoHint() throws IOException {
    try (FakeSluiceServer server = new FakeSluiceServer()) {
      CliRun run =
          CliRun.runWithEnv(Map.of("SLUICE_SERVER", server.url()), "topic", "describe", "nope");

      assertEquals("error: no route GET /topics/nope\n", run.err());
    }
  }

  @Test
  void theClientSettingsFileSuppliesServerCaAndToken() throws IOException {
    try (FakeSluiceServer server = FakeSluiceServer.https(node.serverContext())) {
      server.onJson("GET", "/topics", 200, "{\"topics\":[]}");
      Files.copy(node.pem(), dir.resolve("ca.pem"));
      Files.writeString(dir.resolve("admin.token"), TOKEN + "\n");
      Path conf =
          Files.writeString(
              dir.resolve("client.conf"),
              ClientConf.render(
                  List.of(URI.create(server.url())), Path.of("ca.pem"), Path.of("admin.token")));

      CliRun run =
          CliRun.runWithEnv(Map.of("SLUICE_CLIENT_CONF", conf.toString()), "topic", "list");

      assertEquals(0, run.exitCode(), run::toString);
      assertEquals("Bearer " + TOKEN, server.requests().get(0).authorization());
    }
  }

  @Test
  void aTokenThatCannotBeSentIsRefusedBeforeAnyRequestAndNotPrinted() throws IOException {
    try (FakeSluiceServer server = new FakeSluiceServer()) {
      CliRun run =
          CliRun.runWithEnv(
              Map.of("SLUICE_SERVER", server.url(), "SLUICE_TOKEN", "two words"), "topic", "list");

      assertEquals(
          "error: the bearer token (9 characters) has U+0020 at index 3; a bearer token has only"
              + " letters, digits and -._~+/, then '=' padding (from SLUICE_TOKEN)\n",
          run.err());
      assertTrue(server.requests().isEmpty());
    }
  }
}
