package dev.sluice.tools;

import dev.sluice.api.TopicDescription;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice topic alter NAME --config KEY=VALUE...}: changes a topic's own settings; {@code
 * KEY=} gives a setting back to the node's value. Every replica applies them while it runs.
 */
@Command(
    name = "alter",
    mixinStandardHelpOptions = true,
    description =
        "Changes a topic's settings (KEY= returns one to the node's value); every replica applies"
            + " them at once (retention at its next pass).")
final class TopicAlterCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Parameters(index = "0", paramLabel = "NAME", description = "Topic name.")
  String name;

  @Option(
      names = "--config",
      required = true,
      paramLabel = "KEY=VALUE",
      description =
          "A setting to change (repeatable): retention.bytes, retention.time, max-batch-bytes,"
              + " flush, min-in-sync-replicas.")
  List<String> config;

  @Override
  public Integer call() {
    Map<String, String> changes = TopicConfigOption.parse(spec, config);
    TopicDescription topic = server.client().alterTopicConfig(name, changes);
    spec.commandLine()
        .getOut()
        .println(
            "topic " + topic.name() + " settings: " + TopicConfigOption.describe(topic.config()));
    return 0;
  }
}
