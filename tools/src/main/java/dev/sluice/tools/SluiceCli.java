package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code sluice} command line, run by {@code bin/sluice}. One class per subcommand; the client
 * subcommands talk to a node's HTTP API through {@link dev.sluice.client.SluiceClient}.
 *
 * <p>Exit codes: 0 success, 1 an error reported by the server or a user error (printed as {@code
 * error: <message>}), 2 a usage error (picocli's convention).
 */
@Command(
    name = "sluice",
    mixinStandardHelpOptions = true,
    versionProvider = SluiceCli.Version.class,
    description = "Sluice: a replicated, partitioned, append-only log cluster.",
    subcommands = {
      HelpCommand.class,
      NodeCommand.class,
      TopicCommand.class,
      LeadersCommand.class,
      ProduceCommand.class,
      ConsumeCommand.class,
      StatusCommand.class,
      BenchCommand.class,
      LocalClusterCommand.class,
      DemoCommand.class,
      TokenCommand.class
    })
public final class SluiceCli implements Runnable {

  /**
   * Set by {@code bin/sluice} from {@code [ -t 2 ]}: Java 17 cannot ask whether stderr alone is a
   * terminal, and a progress bar redrawn with {@code \r} is noise in a log file.
   */
  static final String STDERR_TERMINAL_PROPERTY = "sluice.cli.stderrTerminal";

  @Spec CommandSpec spec;

  private final InputStream stdin;
  private final boolean stderrIsTerminal;
  private final Map<String, String> environment;

  SluiceCli(InputStream stdin, boolean stderrIsTerminal) {
    this(stdin, stderrIsTerminal, System.getenv());
  }

  /**
   * @param environment the environment variables the commands read (tests pass their own)
   */
  SluiceCli(InputStream stdin, boolean stderrIsTerminal, Map<String, String> environment) {
    this.stdin = stdin;
    this.stderrIsTerminal = stderrIsTerminal;
    this.environment = Map.copyOf(environment);
  }

  public static void main(String[] args) {
    // Explicit UTF-8: consumed values are printed as UTF-8 text whatever the platform default is.
    PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, UTF_8), true);
    PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, UTF_8), true);
    int exitCode =
        commandLine(new SluiceCli(System.in, detectStderrTerminal()), out, err).execute(args);
    out.flush();
    err.flush();
    System.exit(exitCode);
  }

  /** The configured command line; tests call this with their own streams. */
  static CommandLine commandLine(SluiceCli root, PrintWriter out, PrintWriter err) {
    CommandLine cmd = new CommandLine(root);
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    cmd.setExecutionExceptionHandler(new ErrorReporter());
    return cmd;
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand");
  }

  InputStream stdin() {
    return stdin;
  }

  boolean stderrIsTerminal() {
    return stderrIsTerminal;
  }

  Map<String, String> environment() {
    return environment;
  }

  private static boolean detectStderrTerminal() {
    String fromLauncher = System.getProperty(STDERR_TERMINAL_PROPERTY);
    if (fromLauncher != null) {
      return Boolean.parseBoolean(fromLauncher);
    }
    // Run without the launcher: an interactive session is the best available guess.
    return System.console() != null;
  }

  /**
   * The project version the build wrote into {@value #RESOURCE} (resource filtering), so it never
   * goes stale in the source and is the same from a release's jar, {@code target/classes} or a
   * test. Classes compiled without the build (an IDE that does not filter) say so instead.
   */
  static final class Version implements CommandLine.IVersionProvider {
    static final String RESOURCE = "version.properties";

    @Override
    public String[] getVersion() {
      return new String[] {"sluice " + projectVersion().orElse("(development build)")};
    }

    static java.util.Optional<String> projectVersion() {
      try (InputStream in = SluiceCli.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          return java.util.Optional.empty();
        }
        java.util.Properties p = new java.util.Properties();
        p.load(in);
        String v = p.getProperty("version", "").trim();
        // An unfiltered copy still holds the placeholder.
        return v.isEmpty() || v.contains("${")
            ? java.util.Optional.empty()
            : java.util.Optional.of(v);
      } catch (java.io.IOException e) {
        return java.util.Optional.empty();
      }
    }
  }
}
