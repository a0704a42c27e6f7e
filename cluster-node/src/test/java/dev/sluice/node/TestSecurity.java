package dev.sluice.node;

import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import dev.sluice.security.testing.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * Security for in-JVM test nodes as a real cluster has it: TLS on every listener with {@link
 * TestPki}'s certificates (node N presents {@code sluice:node:N}), bearer tokens on the client API
 * and admin tokens on management, and one admin token that may also produce and consume anything.
 * Immutable once created.
 */
public final class TestSecurity {
  private final TestPki pki;
  private final Path tokensFile;
  private final String adminToken;

  private TestSecurity(TestPki pki, Path tokensFile, String adminToken) {
    this.pki = pki;
    this.tokensFile = tokensFile;
    this.adminToken = adminToken;
  }

  /** Writes a tokens file under {@code dir/security} with one all-powerful token. */
  public static TestSecurity create(Path dir) {
    try {
      Path tokens = Files.createDirectories(dir.resolve("security")).resolve("tokens.conf");
      String admin =
          new TokenFile(tokens)
              .create(
                  "admin",
                  List.of(Permission.admin(), Permission.produce("*"), Permission.consume("*")),
                  Clock.systemUTC())
              .token();
      return new TestSecurity(TestPki.shared(), tokens, admin);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The settings of node {@code id}: TLS everywhere, tokens on the API and management. */
  public Map<String, String> nodeSettings(int id) {
    Map<String, String> s = new HashMap<>();
    s.put("sluice.security.tls.enabled", "on");
    s.put("sluice.security.tls.key-store", pki.nodeP12(id).toString());
    s.put("sluice.security.tls.key-store-password-file", pki.passwordFile().toString());
    s.put("sluice.security.tls.ca-file", pki.caPem().toString());
    s.put("sluice.security.api.auth", "tokens");
    s.put("sluice.security.api.tokens-file", tokensFile.toString());
    s.put("sluice.security.management.auth", "tokens");
    return s;
  }

  public TestPki pki() {
    return pki;
  }

  public Path tokensFile() {
    return tokensFile;
  }

  /** A token with admin, produce:* and consume:*. */
  public String adminToken() {
    return adminToken;
  }

  /** An HTTPS client's context: trusts the test CA, presents nothing. */
  public SSLContext clientContext() {
    return pki.trustOnlyContext();
  }
}
