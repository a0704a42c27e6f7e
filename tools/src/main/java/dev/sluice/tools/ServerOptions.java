package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.client.SluiceClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * The options shared (as a mixin) by every subcommand that talks to a node: which nodes, whom to
 * trust for {@code https}, and the bearer token. Each of the three is resolved on its own, the
 * first source that has it wins:
 *
 * <ol>
 *   <li>the option ({@code --server}, {@code --ca-file}, {@code --token} or {@code --token-file});
 *   <li>the environment: {@code SLUICE_SERVER}, {@code SLUICE_CA_FILE}, {@code SLUICE_TOKEN} or
 *       {@code SLUICE_TOKEN_FILE};
 *   <li>the client settings file ({@link ClientConf}): {@code $SLUICE_CLIENT_CONF}, or {@code
 *       data/local-cluster/client.conf} when it exists;
 *   <li>{@value #DEFAULT_SERVER}, the JDK's authorities, and no token.
 * </ol>
 *
 * {@code --server} and {@code SLUICE_SERVER} take one URL or a comma-separated list of them, the
 * client's bootstrap list: a request goes to the next one when a node cannot be connected to.
 *
 * <p>The settings file's {@code ca-file} and {@code token-file} belong to the cluster its {@code
 * server} names: they are used only when every server has its scheme and host, so a local cluster's
 * admin token is never sent to a node elsewhere that {@code --server} names.
 *
 * <p>A token is never printed; messages name where it came from.
 *
 * <p>Thread-safety: confined to the command's thread, like every picocli object.
 */
final class ServerOptions {

  static final String DEFAULT_SERVER = "http://127.0.0.1:7700";
  static final String SERVER_ENV = "SLUICE_SERVER";
  static final String CA_FILE_ENV = "SLUICE_CA_FILE";
  static final String TOKEN_ENV = "SLUICE_TOKEN";
  static final String TOKEN_FILE_ENV = "SLUICE_TOKEN_FILE";
  static final String CLIENT_CONF_ENV = "SLUICE_CLIENT_CONF";

  /** Where {@code local-cluster} writes the settings of the cluster it runs by default. */
  static final Path DEFAULT_CLIENT_CONF = Path.of("data", "local-cluster", "client.conf");

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(
      names = "--server",
      paramLabel = "URL",
      split = ",",
      converter = HttpUriConverter.class,
      description =
          "Node HTTP API to talk to, or a comma-separated list of nodes of one cluster (e.g."
              + " http://127.0.0.1:7700,http://127.0.0.1:7701): a request goes to the next one"
              + " when a node cannot be connected to (default: env "
              + SERVER_ENV
              + ", else the server of the client settings file $"
              + CLIENT_CONF_ENV
              + " or data/local-cluster/client.conf, else "
              + DEFAULT_SERVER
              + ").")
  List<URI> server;

  @Option(
      names = "--ca-file",
      paramLabel = "PEM",
      description =
          "CA certificates (PEM) that issued the node's https certificate; trusted instead of the"
              + " JDK's authorities (default: env "
              + CA_FILE_ENV
              + ", else the client settings file's ca-file).")
  Path caFile;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description =
          "Bearer token sent with every request. Other users can read it in the process list:"
              + " prefer env "
              + TOKEN_ENV
              + " or --token-file.")
  String token;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "File holding the bearer token (default: env "
              + TOKEN_ENV
              + ", else env "
              + TOKEN_FILE_ENV
              + ", else the client settings file's token-file).")
  Path tokenFile;

  /** What {@link #client} resolved last, for the hints of {@link ErrorReporter}. */
  private Connection connection;

  /** A value and where it came from, e.g. {@code --ca-file} or {@code SLUICE_CA_FILE}. */
  record Sourced<T>(T value, String source) {}

  /** The token and where it came from; {@link #toString} leaves the token out. */
  record Token(String value, String source) {
    @Override
    public String toString() {
      return "Token[from " + source + "]";
    }
  }

  /** The resolved settings of one command. */
  record Connection(
      Sourced<List<URI>> server, Optional<Sourced<Path>> caFile, Optional<Token> token) {

    /**
     * The client.
     *
     * @throws CliException naming the source when the CA file or the token is unusable
     */
    SluiceClient client() {
      SluiceClient.Builder builder = SluiceClient.builder(server.value());
      caFile.ifPresent(
          ca -> {
            try {
              builder.caFile(ca.value());
            } catch (UncheckedIOException e) {
              throw new CliException(e.getCause().getMessage() + " (from " + ca.source() + ")");
            } catch (IllegalArgumentException e) {
              throw new CliException(e.getMessage() + " (from " + ca.source() + ")");
            }
          });
      token.ifPresent(
          t -> {
            try {
              builder.token(t.value());
            } catch (IllegalArgumentException e) {
              throw new CliException(e.getMessage() + " (from " + t.source() + ")");
            }
          });
      return builder.build();
    }
  }

  /**
   * A client for the resolved settings.
   *
   * @throws CliException naming the source of a setting that cannot be used
   */
  SluiceClient client() {
    connection = resolve(environment(), DEFAULT_CLIENT_CONF);
    return connection.client();
  }

  /** The settings {@link #client} resolved, if it was called. */
  Optional<Connection> connection() {
    return Optional.ofNullable(connection);
  }

  /**
   * Resolves the settings in the order of the class comment.
   *
   * @param env the environment variables
   * @param defaultConf the settings file used when {@code SLUICE_CLIENT_CONF} is not set and this
   *     file exists
   * @throws CliException naming the source of a value that is not usable
   */
  Connection resolve(Map<String, String> env, Path defaultConf) {
    Optional<ClientConf> conf = clientConf(env, defaultConf);

    Sourced<List<URI>> resolvedServer;
    if (server != null && !server.isEmpty()) {
      resolvedServer = new Sourced<>(List.copyOf(server), "--server");
    } else if (present(env, SERVER_ENV)) {
      resolvedServer = new Sourced<>(envUris(env, SERVER_ENV), SERVER_ENV);
    } else {
      resolvedServer =
          conf.flatMap(c -> c.server().map(s -> new Sourced<>(s, "server in " + c.file())))
              .orElseGet(() -> new Sourced<>(List.of(URI.create(DEFAULT_SERVER)), "the default"));
    }
    // The file's CA and token belong to its cluster: only when every server is of that cluster's
    // host.
    Optional<ClientConf> clusterConf =
        conf.filter(
            c ->
                c.server()
                    .map(
                        file ->
                            resolvedServer.value().stream()
                                .allMatch(u -> file.stream().anyMatch(s -> sameOrigin(s, u))))
                    .orElse(true));

    Optional<Sourced<Path>> resolvedCa;
    if (caFile != null) {
      resolvedCa = Optional.of(new Sourced<>(caFile, "--ca-file"));
    } else if (present(env, CA_FILE_ENV)) {
      resolvedCa = Optional.of(new Sourced<>(envPath(env, CA_FILE_ENV), CA_FILE_ENV));
    } else {
      resolvedCa =
          clusterConf.flatMap(
              c -> c.caFile().map(p -> new Sourced<>(p, ClientConf.CA_FILE + " in " + c.file())));
    }

    return new Connection(resolvedServer, resolvedCa, resolveToken(env, clusterConf));
  }

  private Optional<Token> resolveToken(Map<String, String> env, Optional<ClientConf> clusterConf) {
    if (token != null && tokenFile != null) {
      throw new CliException("pass --token or --token-file, not both");
    }
    if (token != null) {
      return Optional.of(new Token(token.strip(), "--token"));
    }
    if (tokenFile != null) {
      return Optional.of(readToken(tokenFile, "--token-file " + tokenFile));
    }
    if (present(env, TOKEN_ENV) && present(env, TOKEN_FILE_ENV)) {
      throw new CliException(
          "both " + TOKEN_ENV + " and " + TOKEN_FILE_ENV + " are set; unset one of them");
    }
    if (present(env, TOKEN_ENV)) {
      return Optional.of(new Token(env.get(TOKEN_ENV).strip(), TOKEN_ENV));
    }
    if (present(env, TOKEN_FILE_ENV)) {
      Path file = envPath(env, TOKEN_FILE_ENV);
      return Optional.of(readToken(file, TOKEN_FILE_ENV + " = " + file));
    }
    return clusterConf.flatMap(
        c ->
            c.tokenFile()
                .map(
                    file ->
                        readToken(
                            file, ClientConf.TOKEN_FILE + " in " + c.file() + " (" + file + ")")));
  }

  /** The token in {@code file}: its only line, surrounding white space removed. */
  static Token readToken(Path file, String source) {
    String text;
    try {
      text = Files.readString(file, UTF_8).strip();
    } catch (NoSuchFileException e) {
      throw new CliException("cannot read the token file of " + source + ": no such file");
    } catch (AccessDeniedException e) {
      throw new CliException("cannot read the token file of " + source + ": permission denied");
    } catch (IOException e) {
      throw new CliException("cannot read the token file of " + source + ": " + e.getMessage());
    }
    if (text.isEmpty()) {
      throw new CliException("the token file of " + source + " is empty");
    }
    return new Token(text, source);
  }

  private static Optional<ClientConf> clientConf(Map<String, String> env, Path defaultConf) {
    if (present(env, CLIENT_CONF_ENV)) {
      // Named explicitly: a missing file is an error, not a silent fallback.
      return Optional.of(ClientConf.read(envPath(env, CLIENT_CONF_ENV)));
    }
    return Files.isRegularFile(defaultConf)
        ? Optional.of(ClientConf.read(defaultConf))
        : Optional.empty();
  }

  /** Same scheme and host (case-insensitive): the nodes of one cluster differ only by port. */
  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost().equalsIgnoreCase(b.getHost());
  }

  private static boolean present(Map<String, String> env, String name) {
    String value = env.get(name);
    return value != null && !value.isBlank();
  }

  /** A comma-separated list of URLs, as {@code --server} takes it. */
  private static List<URI> envUris(Map<String, String> env, String name) {
    List<URI> uris = new ArrayList<>();
    try {
      for (String value : env.get(name).split(",", -1)) {
        uris.add(new HttpUriConverter().convert(value));
      }
    } catch (TypeConversionException e) {
      throw new CliException(name + ": " + e.getMessage());
    }
    return List.copyOf(uris);
  }

  private static Path envPath(Map<String, String> env, String name) {
    String value = env.get(name).strip();
    try {
      return Path.of(value);
    } catch (InvalidPathException e) {
      throw new CliException(name + " = " + value + ": not a path (" + e.getReason() + ")");
    }
  }

  /** The environment of the root command ({@link SluiceCli}), which tests replace. */
  private Map<String, String> environment() {
    Object root = mixee == null ? null : mixee.root().userObject();
    return root instanceof SluiceCli cli ? cli.environment() : System.getenv();
  }

  /** Rejects anything but an absolute http(s) URL at parse time, so it is a usage error. */
  static final class HttpUriConverter implements ITypeConverter<URI> {
    @Override
    public URI convert(String value) {
      try {
        URI uri = new URI(value.trim());
        String scheme = uri.getScheme();
        if (uri.getHost() == null
            || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
          throw new TypeConversionException(
              "'" + value + "' is not an http(s) URL like " + DEFAULT_SERVER);
        }
        return uri;
      } catch (URISyntaxException e) {
        throw new TypeConversionException("'" + value + "' is not a URL: " + e.getReason());
      }
    }
  }
}
