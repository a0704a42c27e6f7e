package dev.sluice.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
    JsonNode topics = server.client().listTopics().path("topics");
    if (topics.isEmpty()) {
      // On stderr so that scripts reading the table see nothing rather than prose.
      spec.commandLine().getErr().println("no topics");
      return 0;
    }
    Table table = new Table("NAME", "PARTITIONS", "REPLICATION-FACTOR");
    for (JsonNode topic : topics) {
      table.row(
          topic.path("name").asText(),
          topic.path("partitionCount").asText(),
          topic.path("replicationFactor").asText());
    }
    table.print(spec.commandLine().getOut());
    return 0;
  }
}
