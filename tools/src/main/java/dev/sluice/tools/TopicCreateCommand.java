package dev.sluice.tools;

import dev.sluice.api.TopicDescription;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice topic create NAME --partitions P --replicas R}. */
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

  @Override
  public Integer call() {
    TopicDescription created = server.client().createTopic(name, partitions, replicas);
    spec.commandLine().getOut().println("created " + TopicCommand.summary(created));
    return 0;
  }
}
