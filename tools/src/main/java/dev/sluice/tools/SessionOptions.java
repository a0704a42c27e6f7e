package dev.sluice.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * The options of a command that runs on a throwaway local cluster ({@link DemoSession}): where the
 * cluster's files go, the first port, and the overall deadline. Shared as a mixin by {@code demo},
 * {@code bench catchup} and {@code bench produce}, which differ only in the defaults of {@code
 * --base-port} and {@code --timeout}: each names its {@link Defaults} in its {@code @Command}, so
 * that the usage help shows the command's own values.
 *
 * <p>Not thread-safe: picocli fills it, then the command's thread reads it.
 */
final class SessionOptions {

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Directory of the cluster's files; must be new or empty (default: a fresh temporary"
              + " directory, removed at the end unless a failed run keeps it).")
  Path dataDir;

  @Option(
      names = "--base-port",
      paramLabel = "P",
      description = "First port of node 1 of the local cluster (default: ${DEFAULT-VALUE}).")
  int basePort;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = LocalClusterCommand.SecondsConverter.class,
      description =
          "Give up (and stop the local cluster's nodes) after this long, e.g. 300s or 10m"
              + " (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  /**
   * Checks the options for a cluster of {@code nodes} with {@code settings} without touching the
   * disk; a problem is a usage error (exit code 2).
   */
  void check(int nodes, Map<String, String> settings, LocalClusterLayout.Security security) {
    try {
      DemoSession.check(nodes, basePort, settings, security);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage());
    }
  }

  /**
   * Opens the session, writing to the command's stdout and stderr: see {@link DemoSession#open}.
   */
  DemoSession open(
      String purpose, int nodes, Map<String, String> settings, LocalClusterLayout.Security security)
      throws IOException {
    return DemoSession.open(
        purpose,
        dataDir,
        nodes,
        basePort,
        settings,
        security,
        timeout,
        command.commandLine().getOut(),
        command.commandLine().getErr());
  }

  /** The description of a benchmark's {@code --tls} option. */
  static final String TLS_DESCRIPTION =
      "on: TLS on every listener and bearer tokens, as local-cluster runs by default; off:"
          + " plaintext and no tokens (default: ${DEFAULT-VALUE}).";

  /**
   * {@code --tls on|off} of the benchmarks: {@code on} is {@link
   * LocalClusterLayout.Security#SECURE}, {@code off} {@link LocalClusterLayout.Security#INSECURE}.
   */
  static final class TlsConverter implements ITypeConverter<LocalClusterLayout.Security> {
    @Override
    public LocalClusterLayout.Security convert(String value) {
      switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "on":
          return LocalClusterLayout.Security.SECURE;
        case "off":
          return LocalClusterLayout.Security.INSECURE;
        default:
          throw new TypeConversionException("'" + value + "' is not on or off");
      }
    }
  }

  /** A command's defaults of {@code --base-port} and {@code --timeout}. */
  abstract static class Defaults implements IDefaultValueProvider {
    private final int basePort;
    private final String timeout;

    Defaults(int basePort, String timeout) {
      this.basePort = basePort;
      this.timeout = timeout;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
      if (arg instanceof OptionSpec option) {
        switch (option.longestName()) {
          case "--base-port":
            return String.valueOf(basePort);
          case "--timeout":
            return timeout;
          default:
            return null;
        }
      }
      return null;
    }
  }

  /** {@code demo}: ports from 7800, ten minutes. */
  static final class DemoDefaults extends Defaults {
    DemoDefaults() {
      super(7800, "10m");
    }
  }

  /** The cluster benchmarks: ports from 7900 (beside a running demo), twenty minutes. */
  static final class BenchDefaults extends Defaults {
    BenchDefaults() {
      super(7900, "20m");
    }
  }
}
