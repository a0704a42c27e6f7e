package dev.sluice.tools;

import dev.sluice.api.TopicDeleted;
import java.io.Console;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice topic delete NAME [--yes]}: deletes a topic and, on every replica, its data. Asks
 * for the topic's name on the terminal unless {@code --yes} is given; without a terminal (a script)
 * {@code --yes} is required.
 */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description =
        "Deletes a topic: it is gone from the cluster at once and every replica removes its data"
            + " (a node that is down does so when it returns).")
final class TopicDeleteCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Parameters(index = "0", paramLabel = "NAME", description = "Topic name.")
  String name;

  @Option(names = "--yes", description = "Delete without asking (for scripts).")
  boolean yes;

  @Override
  public Integer call() {
    if (!yes) {
      Console console = System.console();
      if (console == null) {
        throw new ParameterException(
            spec.commandLine(),
            "deleting topic "
                + name
                + " removes its data on every replica; pass --yes to confirm (no terminal to"
                + " ask on)");
      }
      String answer =
          console.readLine(
              "Delete topic %s and all its records on every replica? Type its name to confirm: ",
              name);
      if (answer == null || !answer.strip().equals(name)) {
        spec.commandLine().getErr().println("not deleted: the answer was not " + name);
        return 1;
      }
    }
    TopicDeleted deleted = server.client().deleteTopic(name);
    spec.commandLine()
        .getOut()
        .printf(
            "deleted topic %s (%d partition%s); every replica removes its data%n",
            deleted.name(), deleted.partitionCount(), deleted.partitionCount() == 1 ? "" : "s");
    return 0;
  }
}
