package dev.sluice.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.api.Auth;
import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import dev.sluice.client.SluiceClient;
import dev.sluice.security.testing.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * How the node JVMs of a test are secured and how the test reaches them: by default as a real
 * cluster runs, with TLS on every listener ({@link TestPki}'s certificate of node K for node K,
 * trusting the test CA), bearer tokens on the client API and admin tokens on management; or, for a
 * test that needs it, {@link #plaintext()}: plain listeners and no tokens.
 *
 * <p>A secure instance owns a tokens file in the test's directory, made with {@link TokenFile},
 * that holds one admin token allowed to do everything; tests may add tokens with fewer permissions
 * ({@link #createToken}) before the nodes start (nodes re-read the file only every 10 s).
 *
 * <p>The HTTP helpers ({@link #httpClient}, {@link #withApiAuth}, {@link #withManagementAuth},
 * {@link #client}) give every request of a test the CA and the admin token, so that a test reads
 * the same whether the cluster is secure or not.
 *
 * <p>Thread-safety: immutable after creation except for {@link #createToken}, which writes the
 * file; the rest may be used from any thread.
 */
final class ItSecurity {
  /** The admin token's name; management's Basic user name is not checked, this one is a habit. */
  static final String ADMIN = "admin";

  private final Optional<TestPki> pki;
  private final Optional<Path> tokensFile;
  private final Optional<String> adminToken;
  private final Optional<SSLContext> trust;

  private ItSecurity(Optional<TestPki> pki, Optional<Path> tokensFile, Optional<String> token) {
    this.pki = pki;
    this.tokensFile = tokensFile;
    this.adminToken = token;
    this.trust = pki.map(TestPki::trustOnlyContext);
  }

  /** TLS everywhere and tokens; the tokens file is {@code dir/security/tokens.conf}. */
  static ItSecurity secure(Path dir) {
    try {
      Path tokens = Files.createDirectories(dir.resolve("security")).resolve("tokens.conf");
      String admin =
          new TokenFile(tokens)
              .create(
                  ADMIN,
                  List.of(Permission.admin(), Permission.produce("*"), Permission.consume("*")),
                  Clock.systemUTC())
              .token();
      return new ItSecurity(Optional.of(TestPki.shared()), Optional.of(tokens), Optional.of(admin));
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot write the test tokens file", e);
    }
  }

  /** Plain listeners, no tokens: only for a test that needs a plaintext cluster. */
  static ItSecurity plaintext() {
    return new ItSecurity(Optional.empty(), Optional.empty(), Optional.empty());
  }

  boolean isSecure() {
    return pki.isPresent();
  }

  /** {@code https} or {@code http}. */
  String scheme() {
    return isSecure() ? "https" : "http";
  }

  /** The base URI of a listener of this cluster on 127.0.0.1 (the certificates name that IP). */
  URI uri(int port) {
    return URI.create(scheme() + "://127.0.0.1:" + port);
  }

  TestPki pki() {
    return pki.orElseThrow(() -> new IllegalStateException("a plaintext cluster has no PKI"));
  }

  /** The admin token: admin, produce:* and consume:*. */
  String adminToken() {
    return adminToken.orElseThrow(() -> new IllegalStateException("a plaintext cluster: no token"));
  }

  Path tokensFile() {
    return tokensFile.orElseThrow(() -> new IllegalStateException("a plaintext cluster: no file"));
  }

  /**
   * Adds a token to the tokens file and returns it in clear. Nodes started afterwards accept it at
   * once; running nodes within their reload interval.
   */
  String createToken(String name, Permission... permissions) {
    try {
      return new TokenFile(tokensFile())
          .create(name, List.of(permissions), Clock.systemUTC())
          .token();
    } catch (IOException e) {
      throw new UncheckedIOException(tokensFile() + ": cannot add token " + name, e);
    }
  }

  /** The node config lines (HOCON) that secure node {@code id}; none for a plaintext cluster. */
  List<String> nodeConfigLines(int id) {
    List<String> lines = new ArrayList<>();
    if (!isSecure()) {
      return lines;
    }
    TestPki p = pki();
    lines.add("sluice.security.tls.enabled = on");
    lines.add("sluice.security.tls.key-store = " + quoted(p.nodeP12(id)));
    lines.add("sluice.security.tls.key-store-password-file = " + quoted(p.passwordFile()));
    lines.add("sluice.security.tls.ca-file = " + quoted(p.caPem()));
    lines.add("sluice.security.api.auth = tokens");
    lines.add("sluice.security.api.tokens-file = " + quoted(tokensFile()));
    lines.add("sluice.security.management.auth = tokens");
    return lines;
  }

  /** An HTTP/1.1 client builder that trusts the test CA when secure. */
  HttpClient.Builder httpClientBuilder() {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2));
    trust.ifPresent(b::sslContext);
    return b;
  }

  HttpClient httpClient() {
    return httpClientBuilder().build();
  }

  /** Trusts the test CA and presents nothing, as an HTTPS client does. */
  SSLContext trustContext() {
    return trust.orElseThrow(() -> new IllegalStateException("a plaintext cluster: no CA"));
  }

  /** Adds the admin token as a bearer token, for the client API. */
  HttpRequest.Builder withApiAuth(HttpRequest.Builder request) {
    adminToken.ifPresent(t -> request.header(Auth.AUTHORIZATION, Auth.authorization(t)));
    return request;
  }

  /** Adds HTTP Basic with the admin token as password, for management. */
  HttpRequest.Builder withManagementAuth(HttpRequest.Builder request) {
    adminToken.ifPresent(
        t ->
            request.header(
                Auth.AUTHORIZATION,
                "Basic " + Base64.getEncoder().encodeToString((ADMIN + ":" + t).getBytes(UTF_8))));
    return request;
  }

  /** A {@link SluiceClient} of the API at {@code api} with the CA and the admin token. */
  SluiceClient client(URI api) {
    SluiceClient.Builder b = SluiceClient.builder(api);
    if (isSecure()) {
      b.sslContext(trustContext()).token(adminToken());
    }
    return b.build();
  }

  private static String quoted(Path p) {
    return "\"" + p.toAbsolutePath() + "\"";
  }
}
