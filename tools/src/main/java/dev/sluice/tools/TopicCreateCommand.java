package dev.sluice.tools;

import dev.sluice.api.TopicDescription;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice topic create NAME --partitions P --replicas R [--config KEY=VALUE]...}. */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = "Creates a topic; the server checks the name and counts.")
final class TopicCreateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Parameters(index = "0", paramLabel = "NAME", description = "Topic name.")
  String name;

  @Option(
      names = "--partitions",
      required = true,
      paramLabel = "P",
      description = "Number of partitions.")
  int partitions;

  @Option(
      names = "--replicas",
      required = true,
      paramLabel = "R",
      description = "Replication factor: nodes holding a copy of each partition.")
  int replicas;

  @Option(
      names = "--config",
      paramLabel = "KEY=VALUE",
      description =
          "The topic's own setting, overriding the node's (repeatable): retention.bytes,"
              + " retention.time, max-batch-bytes, flush, min-in-sync-replicas.")
  List<String> config;

  @Override
  public Integer call() {
    Map<String, String> settings = TopicConfigOption.parse(spec, config);
    settings.forEach(
        (k, v) -> {
          if (v == null) {
            throw new ParameterException(
                spec.commandLine(), "--config " + k + "=: a new topic's setting needs a value");
          }
        });
    TopicDescription created = server.client().createTopic(name, partitions, replicas, settings);
    spec.commandLine().getOut().println("created " + TopicCommand.summary(created));
    if (!created.config().isEmpty()) {
      spec.commandLine()
          .getOut()
          .println("settings: " + TopicConfigOption.describe(created.config()));
    }
    return 0;
  }
}
