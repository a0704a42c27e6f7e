package dev.sluice.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.api.ApiJson;
import dev.sluice.api.PartitionDescription;
import dev.sluice.api.ReplicaDescription;
import dev.sluice.api.TopicDescription;
import dev.sluice.client.SluiceClient;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice topic describe NAME [--json]}: one row per partition replica, partition columns
 * repeated on every row so that the output greps well ({@code | grep stalled}).
 */
@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    description = "Shows a topic's partitions and the state of every replica.")
final class TopicDescribeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Parameters(index = "0", paramLabel = "NAME", description = "Topic name.")
  String name;

  @Option(names = "--json", description = "Print the server's JSON, pretty-printed.")
  boolean json;

  @Override
  public Integer call() throws JsonProcessingException {
    SluiceClient client = server.client();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(
          ApiJson.mapper()
              .writerWithDefaultPrettyPrinter()
              .writeValueAsString(client.describeTopicJson(name)));
      return 0;
    }
    TopicDescription topic = client.describeTopic(name);
    out.println(TopicCommand.summary(topic));
    out.println("settings: " + TopicConfigOption.describe(topic.config()));
    Table table =
        new Table(
            "PARTITION",
            "LEADER",
            "PREFERRED",
            "EPOCH",
            "IN-SYNC",
            "NODE",
            "ROLE",
            "LEO",
            "HW",
            "STATE",
            "LAG-BYTES",
            "HEALTH");
    for (PartitionDescription p : topic.partitions()) {
      String inSync = "[" + join(p.inSync()) + "]";
      if (p.replicas().isEmpty()) {
        table.row(p.partition(), p.leader(), p.preferredLeader(), p.leaderEpoch(), inSync);
      }
      for (ReplicaDescription r : p.replicas()) {
        table.row(
            p.partition(),
            p.leader(),
            p.preferredLeader(),
            p.leaderEpoch(),
            inSync,
            r.node(),
            r.role(),
            r.leo(),
            r.hw(),
            r.state(),
            r.lagBytes(),
            r.health());
      }
    }
    table.print(out);
    return 0;
  }

  private static String join(List<Integer> nodes) {
    return nodes.stream().map(String::valueOf).collect(Collectors.joining(","));
  }
}
