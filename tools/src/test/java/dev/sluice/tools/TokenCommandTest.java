package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Auth;
import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice token create|list|revoke} on a tokens file in a temporary directory. */
class TokenCommandTest {

  @TempDir Path tmp;

  @Test
  void createPrintsTheTokenOnceAndStoresOnlyItsHashInAPrivateFile() throws IOException {
    Path file = tmp.resolve("security").resolve("tokens.conf");

    CliRun run =
        CliRun.run(
            "token",
            "create",
            "--name",
            "orders-writer",
            "--permission",
            "produce:orders-*",
            "--permission",
            "consume:orders-eu,consume:orders-us",
            "--tokens-file",
            file.toString());

    assertEquals(0, run.exitCode(), run::toString);
    String token = run.out().strip();
    assertTrue(token.matches(Auth.TOKEN_PREFIX + "[A-Za-z0-9_-]{43}"), run::toString);
    assertEquals(token + "\n", run.out(), "the token alone on stdout");
    assertFalse(run.err().contains(token), "printed once");
    assertTrue(
        run.err()
            .startsWith(
                "created token 'orders-writer' (produce:orders-*, consume:orders-eu,"
                    + " consume:orders-us) in "
                    + file),
        run::toString);
    assertTrue(run.err().contains("shown only this once"), run::toString);

    assertFalse(Files.readString(file).contains(token), "only the hash is stored");
    List<TokenFile.Entry> entries = new TokenFile(file).read();
    assertEquals(1, entries.size());
    assertEquals(Auth.sha256Hex(token), entries.get(0).sha256());
    assertEquals(
        List.of(
            Permission.produce("orders-*"),
            Permission.consume("orders-eu"),
            Permission.consume("orders-us")),
        entries.get(0).permissions());
    assertEquals("rw-------", mode(file));
    assertEquals("rwx------", mode(file.getParent()), "a directory it created is private");

    // Listing never shows a token.
    CliRun list = CliRun.run("token", "list", "--tokens-file", file.toString());
    assertEquals(0, list.exitCode(), list::toString);
    assertFalse(list.out().contains(token));
    assertFalse(list.out().contains(entries.get(0).sha256()));
  }

  @Test
  void listShowsNamesPermissionsAndCreationTimes() throws IOException {
    Path file = tmp.resolve("tokens.conf");
    create(file, "admin", "admin,produce:*,consume:*");
    create(file, "reader", "consume:orders");
    create(file, "lister");

    CliRun run = CliRun.run("token", "list", "--tokens-file", file.toString());

    assertEquals(0, run.exitCode(), run::toString);
    List<String> lines = run.out().lines().toList();
    assertEquals(4, lines.size(), run::toString);
    assertTrue(lines.get(0).matches("NAME +PERMISSIONS +CREATED"), run::toString);
    assertTrue(
        lines.get(1).matches("admin +admin, produce:\\*, consume:\\* +\\d{4}-\\d\\d-\\d\\dT.*Z"),
        run::toString);
    assertTrue(lines.get(2).matches("reader +consume:orders +\\d{4}-.*Z"), run::toString);
    assertTrue(lines.get(3).matches("lister +no permissions +\\d{4}-.*Z"), run::toString);
  }

  @Test
  void revokeRemovesOnlyThatToken() throws IOException {
    Path file = tmp.resolve("tokens.conf");
    create(file, "a", "consume:*");
    create(file, "b", "produce:*");

    CliRun run = CliRun.run("token", "revoke", "a", "--tokens-file", file.toString());

    assertEquals(0, run.exitCode(), run::toString);
    assertTrue(run.err().startsWith("revoked token 'a' in " + file), run::toString);
    assertEquals(
        List.of("b"), new TokenFile(file).read().stream().map(TokenFile.Entry::name).toList());
    assertEquals("rw-------", mode(file));

    CliRun again = CliRun.run("token", "revoke", "a", "--tokens-file", file.toString());
    assertEquals(1, again.exitCode(), again::toString);
    assertEquals(
        "error: no token named 'a' in " + file + " (token list shows the names)\n", again.err());
  }

  @Test
  void aBadPermissionIsAUsageErrorNamingIt() {
    Path file = tmp.resolve("tokens.conf");

    CliRun run =
        CliRun.run(
            "token",
            "create",
            "--name",
            "x",
            "--permission",
            "write:orders",
            "--tokens-file",
            file.toString());

    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(run.err().contains("permission 'write:orders' is invalid"), run::toString);
    assertEquals("", run.out());
    assertFalse(Files.exists(file), "nothing written");
  }

  @Test
  void aBadOrTakenNameIsRefused() throws IOException {
    Path file = tmp.resolve("tokens.conf");

    CliRun bad =
        CliRun.run("token", "create", "--name", "no spaces", "--tokens-file", file.toString());
    assertEquals(2, bad.exitCode(), bad::toString);
    assertTrue(bad.err().contains("--name: name 'no spaces' is invalid"), bad::toString);
    assertFalse(Files.exists(file));

    create(file, "taken", "consume:*");
    CliRun taken =
        CliRun.run("token", "create", "--name", "taken", "--tokens-file", file.toString());
    assertEquals(1, taken.exitCode(), taken::toString);
    assertTrue(taken.err().contains("a token named 'taken' is already in"), taken::toString);
    assertEquals("", taken.out(), "no token printed");
    assertEquals(1, new TokenFile(file).read().size());
  }

  @Test
  void aBrokenTokensFileIsReportedNotReplaced() throws IOException {
    Path file = Files.writeString(tmp.resolve("tokens.conf"), "{\"tokens\": [{\"name\": 1}]}");

    CliRun run = CliRun.run("token", "create", "--name", "x", "--tokens-file", file.toString());

    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(run.err().startsWith("error: invalid tokens file " + file), run::toString);
    assertEquals("{\"tokens\": [{\"name\": 1}]}", Files.readString(file));
  }

  @Test
  void theDefaultFileIsTheLocalClustersOne() {
    assertEquals(
        Path.of("data/local-cluster/security/tokens.conf"), TokenCommand.DEFAULT_TOKENS_FILE);
    LocalClusterLayout layout =
        LocalClusterLayout.of(Path.of("data/local-cluster"), 1, 7700, java.util.Map.of());
    assertEquals(TokenCommand.DEFAULT_TOKENS_FILE.toAbsolutePath(), layout.tokensFile());
  }

  private static void create(Path file, String name, String... permissions) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of("token", "create", "--name", name, "--tokens-file", file.toString()));
    for (String p : permissions) {
      args.add("--permission");
      args.add(p);
    }
    CliRun run = CliRun.run(args.toArray(String[]::new));
    assertEquals(0, run.exitCode(), run::toString);
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
