package dev.sluice.tools;

import dev.sluice.api.TopicDescription;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice topic ...}: groups the topic administration subcommands. */
@Command(
    name = "topic",
    mixinStandardHelpOptions = true,
    description = "Creates, lists, describes, changes and deletes topics.",
    subcommands = {
      TopicCreateCommand.class,
      TopicListCommand.class,
      TopicDescribeCommand.class,
      TopicDeleteCommand.class,
      TopicAddPartitionsCommand.class,
      TopicAlterCommand.class
    })
final class TopicCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand");
  }

  /** The line that names a topic and its counts: {@code topic t: 3 partitions, replication ...}. */
  static String summary(TopicDescription topic) {
    return String.format(
        Locale.ROOT,
        "topic %s: %d partition%s, replication factor %d",
        topic.name(),
        topic.partitionCount(),
        topic.partitionCount() == 1 ? "" : "s",
        topic.replicationFactor());
  }
}
