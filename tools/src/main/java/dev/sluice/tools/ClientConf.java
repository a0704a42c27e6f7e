package dev.sluice.tools;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The client settings file the CLI falls back to after its options and the environment: {@code
 * $SLUICE_CLIENT_CONF}, or {@code data/local-cluster/client.conf}, which {@code local-cluster}
 * writes for the cluster it runs. HOCON, so plain {@code key = "value"} lines are enough:
 *
 * <pre>
 * server = "https://127.0.0.1:7700,https://127.0.0.1:7710"   # one node, or several of one cluster
 * ca-file = "security/ca.pem"        # relative paths are relative to this file's directory
 * token-file = "security/admin.token"
 * </pre>
 *
 * Every key is optional; an unknown key is an error, so a misspelt one is not silently ignored.
 * {@code server}, like {@code --server}, is one URL or a comma-separated list, the client's
 * bootstrap list.
 *
 * <p>Thread-safety: immutable.
 *
 * @param file where it was read from (absolute), for messages
 */
record ClientConf(
    Path file, Optional<List<URI>> server, Optional<Path> caFile, Optional<Path> tokenFile) {

  static final String SERVER = "server";
  static final String CA_FILE = "ca-file";
  static final String TOKEN_FILE = "token-file";
  private static final Set<String> KEYS = Set.of(SERVER, CA_FILE, TOKEN_FILE);

  /**
   * Reads and checks {@code file}.
   *
   * @throws CliException naming the file and every problem: unreadable, not HOCON, an unknown key,
   *     a server that is not an http(s) URL, a path that is not one
   */
  static ClientConf read(Path file) {
    Path absolute = file.toAbsolutePath().normalize();
    if (!Files.isRegularFile(absolute)) {
      throw new CliException("client settings " + absolute + ": no such file");
    }
    Config config;
    try {
      config =
          ConfigFactory.parseFile(
              absolute.toFile(),
              ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
    } catch (ConfigException e) {
      throw new CliException("client settings " + absolute + ": " + e.getMessage());
    }
    List<String> problems = new ArrayList<>();
    Set<String> unknown = new TreeSet<>(config.root().keySet());
    unknown.removeAll(KEYS);
    for (String key : unknown) {
      problems.add(
          key + ": unknown key (known: " + SERVER + ", " + CA_FILE + ", " + TOKEN_FILE + ")");
    }
    Optional<List<URI>> server = Optional.empty();
    String serverText = string(config, SERVER, problems);
    if (serverText != null) {
      try {
        List<URI> servers = new ArrayList<>();
        for (String one : serverText.split(",", -1)) {
          servers.add(new ServerOptions.HttpUriConverter().convert(one.strip()));
        }
        server = Optional.of(List.copyOf(servers));
      } catch (RuntimeException e) {
        problems.add(SERVER + ": " + e.getMessage());
      }
    }
    Optional<Path> caFile = path(config, CA_FILE, absolute, problems);
    Optional<Path> tokenFile = path(config, TOKEN_FILE, absolute, problems);
    if (!problems.isEmpty()) {
      throw new CliException("client settings " + absolute + ": " + String.join("; ", problems));
    }
    return new ClientConf(absolute, server, caFile, tokenFile);
  }

  /**
   * The file's text. Relative paths stay relative, to the directory the file is written to, so a
   * cluster directory that is moved keeps working.
   */
  static String render(List<URI> servers, Path caFile, Path tokenFile) {
    return render(servers)
        + CA_FILE
        + " = "
        + ConfigUtil.quoteString(caFile.toString())
        + "\n"
        + TOKEN_FILE
        + " = "
        + ConfigUtil.quoteString(tokenFile.toString())
        + "\n";
  }

  /** The text of a file naming only the servers: a cluster without TLS and tokens. */
  static String render(List<URI> servers) {
    return "# Written by `bin/sluice local-cluster`: the CLI's defaults for this cluster. A request\n"
        + "# goes to the next server of the list when a node cannot be connected to.\n"
        + SERVER
        + " = "
        + ConfigUtil.quoteString(
            servers.stream().map(URI::toString).collect(Collectors.joining(",")))
        + "\n";
  }

  private static String string(Config config, String key, List<String> problems) {
    if (!config.hasPath(key)) {
      return null;
    }
    try {
      String value = config.getString(key).strip();
      if (value.isEmpty()) {
        problems.add(key + " is empty");
        return null;
      }
      return value;
    } catch (ConfigException.WrongType e) {
      problems.add(key + ": not a string (" + config.getValue(key).valueType() + ")");
      return null;
    }
  }

  private static Optional<Path> path(
      Config config, String key, Path confFile, List<String> problems) {
    String value = string(config, key, problems);
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(confFile.getParent().resolve(value).normalize());
    } catch (InvalidPathException e) {
      problems.add(key + " = " + value + ": not a path (" + e.getReason() + ")");
      return Optional.empty();
    }
  }
}
