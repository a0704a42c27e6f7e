package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Auth;
import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import dev.sluice.config.SluiceConfigLoader;
import dev.sluice.config.SluiceSettings;
import dev.sluice.security.KeyMaterial;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key material of a secure local cluster, made for real: keytool runs (a few seconds), no
 * cached test PKI, because what is tested is exactly that the files are made, kept and extended.
 */
class LocalClusterSecurityTest {

  @TempDir Path tmp;

  @Test
  void firstRunCreatesEverythingLaterRunsReuseItAndAnAddedNodeGetsOneCertificate()
      throws Exception {
    Path dir = tmp.resolve("lc");
    LocalClusterLayout two = LocalClusterLayout.of(dir, 2, 7700, Map.of());

    // First run: the CA, both nodes, the password, the tokens and the admin token.
    StringWriter first = new StringWriter();
    LocalClusterSecurity.Outcome created = ensure(two, first);

    assertTrue(created.createdCa());
    assertEquals(List.of(1, 2), created.issued());
    assertTrue(created.newAdminToken());
    assertTrue(first.toString().startsWith(LocalClusterSecurity.FIRST_RUN + "\n"), first::toString);
    Path security = dir.toAbsolutePath().resolve("security");
    assertEquals(security, two.securityDir());
    assertEquals("rwx------", mode(security));
    for (String secret :
        List.of(
            "ca.p12", "node-1.p12", "node-2.p12", "store.password", "tokens.conf", "admin.token")) {
      assertEquals("rw-------", mode(security.resolve(secret)), secret);
    }
    assertEquals("rw-r--r--", mode(security.resolve("ca.pem")));

    // Each node's certificate names it, localhost and the host, and the files node.conf names
    // make working key material for that node (chain to the CA, identity, validity).
    two.writeConfigs();
    for (LocalClusterNode node : two.nodes()) {
      SluiceSettings settings =
          SluiceSettings.from(SluiceConfigLoader.load(node.configFile(), Map.of()));
      KeyMaterial material = KeyMaterial.load(settings.security().tls(), node.id(), Instant.now());
      assertEquals(node.id(), material.nodeId());
      X509Certificate leaf = material.chain().get(0);
      List<List<?>> sans = List.copyOf(leaf.getSubjectAlternativeNames());
      assertEquals(
          List.of(
              List.of(6, "sluice:node:" + node.id()),
              List.of(2, "localhost"),
              List.of(7, "127.0.0.1")),
          sans);
    }

    // The admin token: in clear in admin.token, hashed with every permission in tokens.conf.
    String token = Files.readString(two.adminTokenFile(), UTF_8).strip();
    assertTrue(token.startsWith(Auth.TOKEN_PREFIX), "a token");
    List<TokenFile.Entry> entries = new TokenFile(two.tokensFile()).read();
    assertEquals(1, entries.size());
    assertEquals(LocalClusterSecurity.ADMIN_TOKEN_NAME, entries.get(0).name());
    assertEquals(Auth.sha256Hex(token), entries.get(0).sha256());
    assertEquals(
        List.of(Permission.admin(), Permission.produce("*"), Permission.consume("*")),
        entries.get(0).permissions());
    assertFalse(Files.readString(two.tokensFile()).contains(token), "only the hash is stored");

    // What the probes and demo clients use: the CA, and the token as Bearer and Basic password.
    LocalClusterSecurity.Access access = LocalClusterSecurity.Access.of(two);
    assertTrue(access.sslContext().isPresent());
    assertEquals(
        "Basic " + Base64.getEncoder().encodeToString(("admin:" + token).getBytes(UTF_8)),
        access.managementAuthorization().orElseThrow());
    assertFalse(access.toString().contains(token));

    // Second run: nothing is issued or printed, every file stays as it was.
    byte[] node1 = Files.readAllBytes(security.resolve("node-1.p12"));
    byte[] caPem = Files.readAllBytes(two.caPem());
    StringWriter second = new StringWriter();
    LocalClusterSecurity.Outcome reused = ensure(two, second);

    assertEquals(new LocalClusterSecurity.Outcome(false, List.of(), false), reused);
    assertEquals("", second.toString());
    assertTrue(java.util.Arrays.equals(node1, Files.readAllBytes(security.resolve("node-1.p12"))));
    assertTrue(java.util.Arrays.equals(caPem, Files.readAllBytes(two.caPem())));
    assertEquals(token, Files.readString(two.adminTokenFile(), UTF_8).strip());

    // A third node: exactly one certificate more, from the same CA.
    LocalClusterLayout three = LocalClusterLayout.of(dir, 3, 7700, Map.of());
    StringWriter third = new StringWriter();
    LocalClusterSecurity.Outcome grown = ensure(three, third);

    assertEquals(new LocalClusterSecurity.Outcome(false, List.of(3), false), grown);
    assertEquals("issuing certificates for the added node(s) [3]\n", third.toString());
    assertEquals("rw-------", mode(security.resolve("node-3.p12")));
    assertTrue(java.util.Arrays.equals(caPem, Files.readAllBytes(three.caPem())));
    three.writeConfigs();
    SluiceSettings node3 =
        SluiceSettings.from(SluiceConfigLoader.load(three.node(3).configFile(), Map.of()));
    assertEquals(3, KeyMaterial.load(node3.security().tls(), 3, Instant.now()).nodeId());

    // A revoked admin token is replaced, and the old one is no longer accepted.
    assertTrue(new TokenFile(three.tokensFile()).revoke(LocalClusterSecurity.ADMIN_TOKEN_NAME));
    StringWriter fourth = new StringWriter();
    LocalClusterSecurity.Outcome renewed = ensure(three, fourth);

    assertEquals(new LocalClusterSecurity.Outcome(false, List.of(), true), renewed);
    assertTrue(fourth.toString().contains("is not in " + three.tokensFile()), fourth::toString);
    String newToken = Files.readString(three.adminTokenFile(), UTF_8).strip();
    assertNotEquals(token, newToken);
    assertEquals(
        List.of(Auth.sha256Hex(newToken)),
        new TokenFile(three.tokensFile()).read().stream().map(TokenFile.Entry::sha256).toList());
    assertEquals("rw-------", mode(three.adminTokenFile()));
  }

  @Test
  void anInsecureLayoutHasNoKeyMaterial() {
    LocalClusterLayout insecure =
        LocalClusterLayout.of(tmp, 1, 7700, Map.of(), LocalClusterLayout.Security.INSECURE);

    assertThrows(
        IllegalArgumentException.class,
        () -> LocalClusterSecurity.ensure(insecure, new PrintWriter(new StringWriter())));
    LocalClusterSecurity.Access access = LocalClusterSecurity.Access.of(insecure);
    assertTrue(access.sslContext().isEmpty());
    assertTrue(access.managementAuthorization().isEmpty());
    assertFalse(Files.exists(insecure.securityDir()));
  }

  @Test
  void aNetworkHostIsAnIpSanBesideLocalhost() {
    LocalClusterLayout layout =
        LocalClusterLayout.of(tmp, 1, 7700, Map.of("sluice.node.host", "10.0.0.5"));
    assertEquals(List.of("dns:localhost", "10.0.0.5"), LocalClusterSecurity.hostSans(layout));
    LocalClusterLayout local =
        LocalClusterLayout.of(tmp, 1, 7700, Map.of("sluice.node.host", "localhost"));
    assertEquals(List.of("dns:localhost"), LocalClusterSecurity.hostSans(local));
  }

  private static LocalClusterSecurity.Outcome ensure(LocalClusterLayout layout, StringWriter out) {
    return LocalClusterSecurity.ensure(layout, new PrintWriter(out, true));
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
