package dev.sluice.tools;

import dev.sluice.api.ErrorBody;
import dev.sluice.client.SluiceClientException;
import dev.sluice.config.SettingsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception from a subcommand into {@code error: <message>} on stderr and exit code 1.
 * Expected failures (server errors, bad settings, missing files) print only their message; anything
 * else is a bug in Sluice and also prints its stack trace so it can be reported.
 *
 * <p>A refusal the user can fix with an option gets a {@code hint: ...} line after the error: a 401
 * (no token or an unknown one), a 403 (the permission the node's error body names), and a TLS
 * handshake that failed (the CA file). Hints name where the token or CA file came from, never the
 * token.
 */
final class ErrorReporter implements IExecutionExceptionHandler {

  static final int EXIT_ERROR = 1;

  /** The detail of a 403 body that names the permission the token lacks. */
  static final String REQUIRED_PERMISSION = "requiredPermission";

  /** Where a local cluster keeps its CA certificate, under its data directory. */
  static final String LOCAL_CLUSTER_CA =
      "the local cluster's is DIR/security/ca.pem (DIR: local-cluster's --data-dir,"
          + " data/local-cluster by default)";

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    Throwable cause = ex instanceof UncheckedIOException u ? u.getCause() : ex;
    String expected = expectedMessage(cause);
    if (expected != null) {
      cmd.getErr().println("error: " + expected);
      hint(cause, connection(cmd)).ifPresent(h -> cmd.getErr().println("hint: " + h));
    } else {
      cmd.getErr().println("error: " + cause);
      cause.printStackTrace(cmd.getErr());
    }
    cmd.getErr().flush();
    return EXIT_ERROR;
  }

  /**
   * What the user can do about {@code t}, if it is a refusal an option fixes.
   *
   * @param connection what the command resolved for {@code --server} and friends, when it did
   */
  static Optional<String> hint(Throwable t, Optional<ServerOptions.Connection> connection) {
    if (!(t instanceof SluiceClientException e)) {
      return Optional.empty();
    }
    Optional<ServerOptions.Token> token = connection.flatMap(ServerOptions.Connection::token);
    String theToken = token.map(k -> "the token from " + k.source()).orElse("the token");
    if (e.status() == 401) {
      return Optional.of(
          (token.isPresent() ? theToken + " was refused: " : "the node requires a token: ")
              + "pass --token (or --token-file) or set "
              + ServerOptions.TOKEN_ENV);
    }
    if (e.status() == 403) {
      Optional<Object> permission =
          e.error().map(ErrorBody::details).map(d -> d.get(REQUIRED_PERMISSION));
      return Optional.of(
          permission
              .map(p -> theToken + " lacks the permission " + p + ": use a token that has it")
              .orElse(theToken + " lacks the permission this request needs"));
    }
    if (e.status() == SluiceClientException.NO_STATUS && causedBy(e, SSLHandshakeException.class)) {
      Optional<ServerOptions.Sourced<Path>> ca =
          connection.flatMap(ServerOptions.Connection::caFile);
      return Optional.of(
          ca.map(
                      c ->
                          "the CA file "
                              + c.value()
                              + " (from "
                              + c.source()
                              + ") did not verify the node's certificate: pass the CA that issued it"
                              + " with --ca-file; ")
                  .orElse(
                      "pass --ca-file (or set "
                          + ServerOptions.CA_FILE_ENV
                          + ") with the CA certificate that issued the node's certificate; ")
              + LOCAL_CLUSTER_CA);
    }
    return Optional.empty();
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** The settings the failed command's {@link ServerOptions} resolved, if it has them. */
  private static Optional<ServerOptions.Connection> connection(CommandLine cmd) {
    return cmd.getCommandSpec().mixins().values().stream()
        .map(CommandSpec::userObject)
        .filter(ServerOptions.class::isInstance)
        .map(ServerOptions.class::cast)
        .flatMap(options -> options.connection().stream())
        .findFirst();
  }

  /** The message to show for an anticipated failure, or null for an unexpected one. */
  private static String expectedMessage(Throwable t) {
    if (t instanceof SluiceClientException || t instanceof CliException) {
      return t.getMessage();
    }
    if (t instanceof SettingsException) {
      return t.getMessage();
    }
    // NIO file exceptions carry only the path as their message; say what went wrong with it.
    if (t instanceof NoSuchFileException e) {
      return "no such file: " + e.getFile();
    }
    if (t instanceof AccessDeniedException e) {
      return "permission denied: " + e.getFile();
    }
    if (t instanceof FileAlreadyExistsException e) {
      return "file already exists: " + e.getFile();
    }
    if (t instanceof IOException) {
      return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
    return null;
  }
}
