package dev.sluice.node;

import dev.sluice.config.SettingsException;
import dev.sluice.config.SluiceConfigLoader;
import dev.sluice.log.UnsupportedLogFormatException;
import dev.sluice.node.security.H2Journal;
import java.nio.file.Path;
import java.util.Map;

/**
 * The node program: {@code java -cp ... dev.sluice.node.Main [CONFIG_FILE]} runs one node in the
 * foreground until it is stopped (SIGTERM / Ctrl-C). Settings come from the file, overridden by
 * {@code -Dkey=value} JVM properties (a layer of {@link SluiceConfigLoader}). This is how {@code
 * bin/sluice node}, {@code local-cluster} and the multi-JVM tests start a node.
 *
 * <p>Exit codes: 0 after a clean stop, 1 when the configuration has problems (every one is printed
 * on stderr, before anything starts), 2 for a usage error, {@value ShutdownGuard#EXIT_CODE} when
 * the cluster removed the node and its actor system then hung while terminating, after its shutdown
 * had closed every log ({@link ShutdownGuard}): the node is to be started again, as systemd's
 * {@code Restart=on-failure}, {@code local-cluster} and the multi-JVM test harness do.
 */
public final class Main {

  static final int EXIT_SETTINGS = 1;
  static final int EXIT_USAGE = 2;

  private Main() {}

  public static void main(String[] args) {
    if (args.length > 1 || args.length == 1 && args[0].startsWith("-")) {
      System.err.println("usage: " + Main.class.getName() + " [CONFIG_FILE]");
      System.err.println(
          "  settings can also be given as JVM options, e.g. -Dsluice.api.port=7701");
      System.exit(EXIT_USAGE);
    }
    Path config = args.length == 1 ? Path.of(args[0]) : null;
    // Before any H2 class loads: H2 reads its bind address once, and its default is every
    // interface.
    H2Journal.defaultBindAddress();
    try {
      SluiceNode.runBlocking(SluiceConfigLoader.load(config, Map.of()));
    } catch (SettingsException | UnsupportedLogFormatException e) {
      // The same line as `bin/sluice node`: the message lists every problem (every settings key,
      // every partition log in a format this version cannot read), one per line.
      System.err.println("error: " + e.getMessage());
      System.exit(EXIT_SETTINGS);
    }
    // A stopped node ends its JVM even if a library left a non-daemon thread behind.
    System.exit(0);
  }
}
