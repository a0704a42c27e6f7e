package dev.sluice.tools;

import dev.sluice.api.TopicDescription;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sluice topic list}: one row per topic. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the topics.")
final class TopicListCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Override
  public Integer call() {
    List<TopicDescription> topics = server.client().listTopics().topics();
    if (topics.isEmpty()) {
      // On stderr so that scripts reading the table see nothing rather than prose.
      spec.commandLine().getErr().println("no topics");
      return 0;
    }
    Table table = new Table("NAME", "PARTITIONS", "REPLICATION-FACTOR");
    for (TopicDescription topic : topics) {
      table.row(topic.name(), topic.partitionCount(), topic.replicationFactor());
    }
    table.print(spec.commandLine().getOut());
    return 0;
  }
}
