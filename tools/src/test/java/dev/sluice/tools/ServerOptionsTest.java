package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Where {@code --server}, {@code --ca-file} and the token come from: option, environment, client
 * settings file, default, each on its own. The environment is a map given to {@link
 * ServerOptions#resolve}, never the real one.
 */
class ServerOptionsTest {

  @Command(name = "probe")
  static final class Probe {
    @Mixin ServerOptions server;
  }

  @TempDir Path dir;

  /** The default client settings file; absent unless a test writes it. */
  private Path defaultConf;

  @BeforeEach
  void paths() {
    defaultConf = dir.resolve("data/local-cluster/client.conf");
  }

  private ServerOptions.Connection resolve(Map<String, String> env, String... args) {
    Probe probe = CommandLine.populateCommand(new Probe(), args);
    return probe.server.resolve(env, defaultConf);
  }

  private CliException refused(Map<String, String> env, String... args) {
    return assertThrows(CliException.class, () -> resolve(env, args));
  }

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
    return file;
  }

  private Path writeDefaultConf(String server) throws IOException {
    Files.createDirectories(defaultConf.getParent());
    Files.writeString(
        defaultConf,
        ClientConf.render(
            List.of(URI.create(server)), Path.of("security/ca.pem"), Path.of("admin.token")));
    write("data/local-cluster/admin.token", "conf-token\n");
    return defaultConf;
  }

  @Test
  void theFilesListOfServersIsTheBootstrapListAndItsTokenServesEachOfItsHosts() throws IOException {
    Files.createDirectories(defaultConf.getParent());
    Files.writeString(
        defaultConf,
        ClientConf.render(
            List.of(URI.create("https://127.0.0.1:7700"), URI.create("https://127.0.0.1:7710")),
            Path.of("security/ca.pem"),
            Path.of("admin.token")));
    write("data/local-cluster/admin.token", "conf-token\n");

    ServerOptions.Connection c = resolve(Map.of());
    assertEquals(
        List.of(URI.create("https://127.0.0.1:7700"), URI.create("https://127.0.0.1:7710")),
        c.server().value());
    assertEquals("conf-token", c.token().orElseThrow().value());

    ServerOptions.Connection one = resolve(Map.of(), "--server", "https://127.0.0.1:7710");
    assertEquals("conf-token", one.token().orElseThrow().value(), "a node of the file's list");
    ServerOptions.Connection elsewhere =
        resolve(Map.of(), "--server", "https://127.0.0.1:7710,https://10.9.9.9:7700");
    assertEquals(Optional.empty(), elsewhere.token(), "not every server is of the file's hosts");
  }

  @Test
  void withNothingSetTheDefaultServerIsUsedWithoutCaOrToken() {
    ServerOptions.Connection c = resolve(Map.of());

    assertEquals(List.of(URI.create("http://127.0.0.1:7700")), c.server().value());
    assertEquals("the default", c.server().source());
    assertEquals(Optional.empty(), c.caFile());
    assertEquals(Optional.empty(), c.token());
  }

  @Test
  void theServerComesFromTheOptionThenTheEnvironmentThenTheFileThenTheDefault() throws IOException {
    writeDefaultConf("https://127.0.0.1:7800");
    Map<String, String> env = Map.of("SLUICE_SERVER", "https://10.0.0.2:7700");

    assertEquals(
        new ServerOptions.Sourced<>(List.of(URI.create("http://10.0.0.1:7700")), "--server"),
        resolve(env, "--server", "http://10.0.0.1:7700").server());
    assertEquals(
        new ServerOptions.Sourced<>(List.of(URI.create("https://10.0.0.2:7700")), "SLUICE_SERVER"),
        resolve(env).server());
    assertEquals(
        new ServerOptions.Sourced<>(
            List.of(URI.create("https://127.0.0.1:7800")),
            "server in " + defaultConf.toAbsolutePath()),
        resolve(Map.of()).server());
    Files.delete(defaultConf);
    assertEquals("the default", resolve(Map.of()).server().source());
  }

  @Test
  void aCommaSeparatedListOfServersIsTheBootstrapList() {
    List<URI> two = List.of(URI.create("http://10.0.0.1:7700"), URI.create("http://10.0.0.2:7700"));

    assertEquals(
        new ServerOptions.Sourced<>(two, "--server"),
        resolve(Map.of(), "--server", "http://10.0.0.1:7700,http://10.0.0.2:7700").server());
    assertEquals(
        new ServerOptions.Sourced<>(two, "--server"),
        resolve(Map.of(), "--server", "http://10.0.0.1:7700", "--server", "http://10.0.0.2:7700")
            .server());
    assertEquals(
        new ServerOptions.Sourced<>(two, "SLUICE_SERVER"),
        resolve(Map.of("SLUICE_SERVER", "http://10.0.0.1:7700, http://10.0.0.2:7700")).server());
    assertEquals(
        "SLUICE_SERVER: 'ftp://x' is not an http(s) URL like http://127.0.0.1:7700",
        refused(Map.of("SLUICE_SERVER", "http://10.0.0.1:7700,ftp://x")).getMessage());
    CommandLine.ParameterException e =
        assertThrows(
            CommandLine.ParameterException.class,
            () -> resolve(Map.of(), "--server", "http://10.0.0.1:7700,ftp://x"));
    assertTrue(e.getMessage().contains("'ftp://x' is not an http(s) URL"), e.getMessage());
  }

  @Test
  void theCaFileComesFromTheOptionThenTheEnvironmentThenTheFile() throws IOException {
    writeDefaultConf("https://127.0.0.1:7700");
    Map<String, String> env = Map.of("SLUICE_CA_FILE", "/env/ca.pem");

    assertEquals(
        new ServerOptions.Sourced<>(Path.of("/opt/ca.pem"), "--ca-file"),
        resolve(env, "--ca-file", "/opt/ca.pem").caFile().orElseThrow());
    assertEquals(
        new ServerOptions.Sourced<>(Path.of("/env/ca.pem"), "SLUICE_CA_FILE"),
        resolve(env).caFile().orElseThrow());
    // Relative to the settings file's directory, not to the working directory.
    assertEquals(
        new ServerOptions.Sourced<>(
            defaultConf.toAbsolutePath().getParent().resolve("security/ca.pem"),
            "ca-file in " + defaultConf.toAbsolutePath()),
        resolve(Map.of()).caFile().orElseThrow());
  }

  @Test
  void theTokenComesFromTheOptionsThenTheEnvironmentThenTheFile() throws IOException {
    writeDefaultConf("https://127.0.0.1:7700");
    Path optionFile = write("option.token", "  file-token \n");
    Path envFile = write("env.token", "env-file-token\n");

    assertToken("option-token", "--token", resolve(Map.of(), "--token", "option-token"));
    assertToken(
        "file-token",
        "--token-file " + optionFile,
        resolve(Map.of("SLUICE_TOKEN", "env-token"), "--token-file", optionFile.toString()));
    assertToken("env-token", "SLUICE_TOKEN", resolve(Map.of("SLUICE_TOKEN", "env-token")));
    assertToken(
        "env-file-token",
        "SLUICE_TOKEN_FILE = " + envFile,
        resolve(Map.of("SLUICE_TOKEN_FILE", envFile.toString())));
    Path confToken = defaultConf.toAbsolutePath().getParent().resolve("admin.token");
    assertToken(
        "conf-token",
        "token-file in " + defaultConf.toAbsolutePath() + " (" + confToken + ")",
        resolve(Map.of()));
  }

  private static void assertToken(String value, String source, ServerOptions.Connection c) {
    ServerOptions.Token token = c.token().orElseThrow();
    assertEquals(value, token.value());
    assertEquals(source, token.source());
    assertFalse(token.toString().contains(value), "the token is not printed: " + token);
  }

  @Test
  void twoTokensOfTheSameRankAreRefused() throws IOException {
    Path file = write("t.token", "x");

    assertEquals(
        "pass --token or --token-file, not both",
        refused(Map.of(), "--token", "a", "--token-file", file.toString()).getMessage());
    assertEquals(
        "both SLUICE_TOKEN and SLUICE_TOKEN_FILE are set; unset one of them",
        refused(Map.of("SLUICE_TOKEN", "a", "SLUICE_TOKEN_FILE", file.toString())).getMessage());
  }

  @Test
  void anUnusableTokenFileIsNamedWithItsSource() throws IOException {
    Path empty = write("empty.token", " \n");
    Path missing = dir.resolve("missing.token");

    assertEquals(
        "the token file of --token-file " + empty + " is empty",
        refused(Map.of(), "--token-file", empty.toString()).getMessage());
    assertEquals(
        "cannot read the token file of SLUICE_TOKEN_FILE = " + missing + ": no such file",
        refused(Map.of("SLUICE_TOKEN_FILE", missing.toString())).getMessage());
  }

  @Test
  void sluiceClientConfReplacesTheDefaultFileAndMustExist() throws IOException {
    writeDefaultConf("https://127.0.0.1:7700");
    Path other =
        write(
            "elsewhere/client.conf",
            ClientConf.render(
                List.of(URI.create("https://10.1.1.1:7700")),
                Path.of("ca.pem"),
                Path.of("t.token")));
    write("elsewhere/t.token", "other-token");

    ServerOptions.Connection c = resolve(Map.of("SLUICE_CLIENT_CONF", other.toString()));

    assertEquals(List.of(URI.create("https://10.1.1.1:7700")), c.server().value());
    assertEquals("other-token", c.token().orElseThrow().value());
    Path missing = dir.resolve("no/client.conf");
    assertEquals(
        "client settings " + missing + ": no such file",
        refused(Map.of("SLUICE_CLIENT_CONF", missing.toString())).getMessage());
  }

  @Test
  void theFilesCaAndTokenServeOnlyTheHostOfItsServer() throws IOException {
    writeDefaultConf("https://127.0.0.1:7700");

    // Another node of the same cluster: another port, the same host.
    ServerOptions.Connection node2 = resolve(Map.of(), "--server", "https://127.0.0.1:7710");
    assertTrue(node2.caFile().isPresent());
    assertEquals("conf-token", node2.token().orElseThrow().value());

    ServerOptions.Connection elsewhere =
        resolve(Map.of("SLUICE_SERVER", "https://prod.example.com:7700"));
    assertEquals(Optional.empty(), elsewhere.caFile());
    assertEquals(Optional.empty(), elsewhere.token(), "the local admin token stays local");

    ServerOptions.Connection plain = resolve(Map.of(), "--server", "http://127.0.0.1:7700");
    assertEquals(Optional.empty(), plain.token(), "nor goes over plain http");

    ServerOptions.Connection bothNodes =
        resolve(Map.of(), "--server", "https://127.0.0.1:7700,https://127.0.0.1:7710");
    assertEquals("conf-token", bothNodes.token().orElseThrow().value());
    ServerOptions.Connection oneElsewhere =
        resolve(Map.of(), "--server", "https://127.0.0.1:7700,https://prod.example.com:7700");
    assertEquals(Optional.empty(), oneElsewhere.caFile());
    assertEquals(
        Optional.empty(), oneElsewhere.token(), "not when any server of the list is elsewhere");
  }

  @Test
  void aBadServerInTheEnvironmentIsNamed() {
    assertEquals(
        "SLUICE_SERVER: 'ftp://x' is not an http(s) URL like http://127.0.0.1:7700",
        refused(Map.of("SLUICE_SERVER", "ftp://x")).getMessage());
  }

  @Test
  void aBrokenSettingsFileNamesTheFileAndEveryProblem() throws IOException {
    Path conf =
        write(
            "bad/client.conf",
            "server = \"localhost:7700\"\ncafile = \"ca.pem\"\ntoken-file = \"\"\n");

    CliException e = refused(Map.of("SLUICE_CLIENT_CONF", conf.toString()));

    assertEquals(
        "client settings "
            + conf
            + ": cafile: unknown key (known: server, ca-file, token-file);"
            + " server: 'localhost:7700' is not an http(s) URL like http://127.0.0.1:7700;"
            + " token-file is empty",
        e.getMessage());
  }

  @Test
  void aSettingsFileThatIsNotHoconIsNamed() throws IOException {
    Path conf = write("bad/client.conf", "server = {\n");

    CliException e = refused(Map.of("SLUICE_CLIENT_CONF", conf.toString()));

    assertTrue(e.getMessage().startsWith("client settings " + conf + ": "), e.getMessage());
  }

  @Test
  void aRenderedFileReadsBackAsWritten() throws IOException {
    Path conf =
        write(
            "c/client.conf",
            ClientConf.render(
                List.of(URI.create("https://127.0.0.1:7700")),
                Path.of("/abs/ca.pem"),
                Path.of("rel/admin.token")));

    ClientConf read = ClientConf.read(conf);

    assertEquals(Optional.of(List.of(URI.create("https://127.0.0.1:7700"))), read.server());
    assertEquals(Optional.of(Path.of("/abs/ca.pem")), read.caFile());
    assertEquals(Optional.of(conf.getParent().resolve("rel/admin.token")), read.tokenFile());
  }
}
