package dev.sluice.tools;

import com.typesafe.config.Config;
import dev.sluice.config.SluiceConfigLoader;
import dev.sluice.node.SluiceNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice node --config FILE [-Dkey=value...]}: runs one node in the foreground until it is
 * stopped (SIGTERM / Ctrl-C). A configuration with problems fails before anything starts, with
 * every problem listed ({@link dev.sluice.config.SettingsException}, exit code 1).
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = "Runs a Sluice node in the foreground.")
final class NodeCommand implements Callable<Integer> {

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Node configuration (HOCON); without it, the defaults plus -D overrides.")
  Path config;

  @Option(
      names = "-D",
      paramLabel = "KEY=VALUE",
      description = "Overrides one setting, e.g. -Dsluice.api.port=7701 (repeatable).")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Override
  public Integer call() {
    // The loader reports a missing or unparsable file as a SettingsException, like any other
    // configuration problem.
    Config loaded = SluiceConfigLoader.load(config, overrides);
    SluiceNode.runBlocking(loaded);
    return 0;
  }
}
