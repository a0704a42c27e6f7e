package dev.sluice.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.api.ClusterStatus;
import dev.sluice.api.ClusterStatus.Member;
import dev.sluice.api.ClusterStatus.PartitionRef;
import dev.sluice.api.ClusterStatus.StalledReplica;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClientException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sluice status [--watch [--interval SECONDS] [--count N]] [--json]}: the cluster at a
 * glance from one node's {@code GET /cluster/status}: members with their status and the partitions
 * each leads, where the controller runs, under-replicated, under-min-in-sync and offline
 * partitions, and the replicas the stall watchdogs flag.
 *
 * <p>{@code --watch} redraws in place (ANSI: cursor home, clear screen) every interval; a failed
 * refresh (the node restarting) shows the error and the next one tries again. With {@code --json}
 * it prints the server's JSON instead: pretty-printed once, or one compact document per line while
 * watching, for scripts.
 *
 * <p>Not thread-safe: picocli fills it, then the command's thread runs it.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Shows the cluster at a glance: members, controller, under-replicated and offline"
            + " partitions, stalled replicas, leaders per node.")
final class StatusCommand implements Callable<Integer> {
  /** Cursor to the top left, then clear the screen: the frame is redrawn in place. */
  static final String CLEAR = "\033[H\033[2J";

  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Option(names = "--json", description = "Print the server's JSON.")
  boolean json;

  @Option(names = "--watch", description = "Refresh in place every --interval until Ctrl-C.")
  boolean watch;

  @Option(
      names = "--interval",
      paramLabel = "SECONDS",
      defaultValue = "2",
      description = "Seconds between refreshes with --watch (default: ${DEFAULT-VALUE}).")
  int intervalSeconds;

  @Option(
      names = "--count",
      paramLabel = "N",
      description = "With --watch: stop after N refreshes (default: until interrupted).")
  Integer count;

  @Override
  public Integer call() throws JsonProcessingException, InterruptedException {
    if (intervalSeconds < 1) {
      throw new ParameterException(
          spec.commandLine(), "--interval = " + intervalSeconds + ": must be at least 1 second");
    }
    if (count != null && count < 1) {
      throw new ParameterException(
          spec.commandLine(), "--count = " + count + ": must be at least 1");
    }
    SluiceClient client = server.client();
    PrintWriter out = spec.commandLine().getOut();
    if (!watch) {
      if (json) {
        out.println(pretty(client.clusterStatusJson()));
      } else {
        print(client.clusterStatus(), out);
      }
      return 0;
    }
    Duration interval = Duration.ofSeconds(intervalSeconds);
    for (int refresh = 1; count == null || refresh <= count; refresh++) {
      if (refresh > 1) {
        Thread.sleep(interval.toMillis()); // the refresh period the user asked for
      }
      try {
        if (json) {
          out.println(ApiJson.mapper().writeValueAsString(client.clusterStatusJson()));
        } else {
          ClusterStatus status = client.clusterStatus();
          out.print(CLEAR);
          out.println("every " + intervalSeconds + "s, Ctrl-C to stop");
          print(status, out);
        }
      } catch (SluiceClientException e) {
        if (!json) {
          out.print(CLEAR);
        }
        out.println("error: " + e.getMessage());
      }
      out.flush();
    }
    return 0;
  }

  private static String pretty(JsonNode json) throws JsonProcessingException {
    return ApiJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(json);
  }

  /** The human form: a summary line, members, partition trouble, stalled replicas. */
  static void print(ClusterStatus status, PrintWriter out) {
    ClusterStatus.Controller controller = status.controller();
    out.println(
        "as seen by node "
            + status.node()
            + "; controller on "
            + (controller.address().isEmpty()
                ? "no member (none is Up)"
                : node(controller.node()) + " (" + controller.address() + ")"));
    Table members = new Table("NODE", "ADDRESS", "STATUS", "REACHABLE", "LEADS");
    for (Member m : status.members()) {
      members.row(
          node(m.node()),
          m.address(),
          m.status(),
          m.reachable() ? "yes" : "NO",
          m.node() < 0 ? null : status.leadersPerNode().getOrDefault(m.node(), 0));
    }
    members.print(out);

    ClusterStatus.Partitions p = status.partitions();
    out.println();
    out.println(
        "partitions: "
            + p.total()
            + ", under-replicated: "
            + p.underReplicated().size()
            + ", under-min-in-sync: "
            + p.underMinInSync().size()
            + ", offline: "
            + p.offline().size());
    partitionTable("UNDER-REPLICATED", p.underReplicated(), out);
    partitionTable("UNDER-MIN-IN-SYNC", p.underMinInSync(), out);
    partitionTable("OFFLINE", p.offline(), out);

    out.println();
    List<StalledReplica> stalled = status.stalledReplicas();
    out.println("stalled replicas: " + (stalled.isEmpty() ? "none" : stalled.size()));
    if (!stalled.isEmpty()) {
      Table table = new Table("STALLED", "NODE", "STALLS", "UNHEALTHY");
      for (StalledReplica r : stalled) {
        table.row(
            r.topic() + "-" + r.partition(),
            r.node(),
            r.stallCount(),
            r.unhealthy() ? "yes" : "no");
      }
      table.print(out);
    }
    if (!status.unansweredNodes().isEmpty()) {
      out.println(
          "no answer from node(s) "
              + join(status.unansweredNodes())
              + ": their replicas are not shown");
    }
  }

  private static void partitionTable(String title, List<PartitionRef> partitions, PrintWriter out) {
    if (partitions.isEmpty()) {
      return;
    }
    Table table = new Table(title, "LEADER", "REPLICAS", "IN-SYNC");
    for (PartitionRef r : partitions) {
      table.row(
          r.topic() + "-" + r.partition(),
          r.leader() < 0 ? "none" : r.leader(),
          "[" + join(r.replicas()) + "]",
          "[" + join(r.inSync()) + "]");
    }
    table.print(out);
  }

  private static String node(int id) {
    return id < 0 ? "?" : Integer.toString(id);
  }

  private static String join(List<Integer> nodes) {
    return nodes.stream().map(String::valueOf).collect(Collectors.joining(","));
  }
}
