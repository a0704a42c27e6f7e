package dev.sluice.tools;

import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import dev.sluice.security.SecureFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code sluice token create|list|revoke}: edits a tokens file ({@link TokenFile}), by default the
 * local cluster's {@code data/local-cluster/security/tokens.conf}. The file holds only SHA-256
 * hashes; {@code create} prints the new token once, on stdout, and nowhere else. Nodes re-read the
 * file on their own ({@code sluice.security.api.tokens-reload-interval}), so changes need no
 * restart. These commands work on the file, not through a node: whoever may write the file may
 * grant anything.
 *
 * <p>Thread-safety: confined to the command's thread, like every picocli object.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = {
      "Creates, lists and revokes the bearer tokens of a tokens file (only their hashes are"
          + " stored). Nodes pick up changes within sluice.security.api.tokens-reload-interval.",
    },
    subcommands = {
      TokenCommand.Create.class,
      TokenCommand.ListTokens.class,
      TokenCommand.Revoke.class
    })
final class TokenCommand implements Runnable {

  /** The tokens file of a local cluster in its default directory. */
  static final Path DEFAULT_TOKENS_FILE =
      Path.of("data", "local-cluster", "security", "tokens.conf");

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand");
  }

  /** {@code --tokens-file}, shared by the subcommands. */
  static final class FileOption {
    @Option(
        names = "--tokens-file",
        paramLabel = "FILE",
        description =
            "The tokens file (sluice.security.api.tokens-file of the nodes); default: the local"
                + " cluster's, "
                + "data/local-cluster/security/tokens.conf.")
    Path tokensFile;

    Path file() {
      return tokensFile != null ? tokensFile : DEFAULT_TOKENS_FILE;
    }

    TokenFile tokens() {
      return new TokenFile(file());
    }
  }

  /** {@code token create --name N --permission P...}. */
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Adds a token and prints it once, on stdout: store it now, it cannot be shown again.",
        "Permissions: admin (create topics), produce:<topics>, consume:<topics>; <topics> is a"
            + " topic name where * matches any characters, e.g. produce:orders-* or consume:*."
      })
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin FileOption file;

    @Option(
        names = "--name",
        required = true,
        paramLabel = "NAME",
        description =
            "Unique name of the token, shown in 403 answers and node logs (A-Z a-z 0-9 . _ @ -).")
    String name;

    @Option(
        names = "--permission",
        paramLabel = "PERMISSION",
        split = ",",
        converter = PermissionConverter.class,
        description =
            "What the token may do (repeatable, or comma-separated). Without any, the token may"
                + " only list topics.")
    List<Permission> permissions = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
      try {
        new TokenFile.Entry(name, "0".repeat(64), List.of(), Optional.empty());
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--name: " + e.getMessage());
      }
      Path path = file.file();
      Path parent = path.toAbsolutePath().getParent();
      if (!Files.exists(parent)) {
        // The file lists who may do what: its directory is as private as the file.
        SecureFiles.createPrivateDirectory(parent);
      }
      TokenFile.Created created;
      try {
        created = file.tokens().create(name, permissions, Clock.systemUTC());
      } catch (IllegalArgumentException | TokenFile.InvalidTokenFileException e) {
        throw new CliException(e.getMessage());
      }
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      // The token alone on stdout, so that scripts can capture it; the rest on stderr.
      out.println(created.token());
      out.flush();
      err.println(
          "created token '"
              + name
              + "' ("
              + created.entry().describePermissions()
              + ") in "
              + path
              + "; it is shown only this once");
      err.flush();
      return 0;
    }
  }

  /** {@code token list}: names, permissions and creation times; never a token. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists the tokens of the file: name, permissions, creation time.")
  static final class ListTokens implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin FileOption file;

    @Override
    public Integer call() throws IOException {
      List<TokenFile.Entry> entries;
      try {
        entries = file.tokens().list();
      } catch (TokenFile.InvalidTokenFileException e) {
        throw new CliException(e.getMessage());
      }
      if (entries.isEmpty()) {
        // On stderr so that scripts reading the table see nothing rather than prose.
        spec.commandLine().getErr().println("no tokens in " + file.file());
        return 0;
      }
      Table table = new Table("NAME", "PERMISSIONS", "CREATED");
      for (TokenFile.Entry e : entries) {
        table.row(e.name(), e.describePermissions(), e.created().map(Object::toString).orElse("-"));
      }
      table.print(spec.commandLine().getOut());
      return 0;
    }
  }

  /** {@code token revoke NAME}. */
  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Removes a token from the file; nodes refuse it once they re-read the file.")
  static final class Revoke implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin FileOption file;

    @Parameters(paramLabel = "NAME", description = "The name of the token to revoke.")
    String name;

    @Override
    public Integer call() throws IOException {
      boolean revoked;
      try {
        revoked = file.tokens().revoke(name);
      } catch (TokenFile.InvalidTokenFileException e) {
        throw new CliException(e.getMessage());
      }
      if (!revoked) {
        throw new CliException(
            "no token named '" + name + "' in " + file.file() + " (token list shows the names)");
      }
      spec.commandLine()
          .getErr()
          .println(
              "revoked token '"
                  + name
                  + "' in "
                  + file.file()
                  + "; nodes refuse it once they re-read the file"
                  + " (sluice.security.api.tokens-reload-interval, 10s by default)");
      return 0;
    }
  }

  /** A {@code --permission} value; a bad one is a usage error naming it and the rule. */
  static final class PermissionConverter implements ITypeConverter<Permission> {
    @Override
    public Permission convert(String value) {
      try {
        return Permission.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
