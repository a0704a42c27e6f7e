package dev.sluice.tools;

import dev.sluice.api.TopicDescription;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice topic add-partitions NAME --count N}: grows a topic to N partitions. */
@Command(
    name = "add-partitions",
    mixinStandardHelpOptions = true,
    description =
        "Grows a topic to N partitions, placed like a new topic's. Partitions are never removed.")
final class TopicAddPartitionsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Parameters(index = "0", paramLabel = "NAME", description = "Topic name.")
  String name;

  @Option(
      names = "--count",
      required = true,
      paramLabel = "N",
      description = "The new total number of partitions; more than the topic has.")
  int count;

  @Override
  public Integer call() {
    TopicDescription grown = server.client().addPartitions(name, count);
    spec.commandLine().getOut().println("now " + TopicCommand.summary(grown));
    return 0;
  }
}
