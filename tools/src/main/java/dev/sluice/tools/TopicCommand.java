package dev.sluice.tools;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice topic ...}: groups the topic administration subcommands. */
@Command(
    name = "topic",
    mixinStandardHelpOptions = true,
    description = "Creates, lists and describes topics.",
    subcommands = {TopicCreateCommand.class, TopicListCommand.class, TopicDescribeCommand.class})
final class TopicCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand");
  }
}
