package dev.sluice.tools;

import dev.sluice.api.Acks;
import dev.sluice.api.PartitionDescription;
import dev.sluice.api.ReplicaDescription;
import dev.sluice.client.SluiceClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice demo}: replays the incident of {@code docs/incident.md} on a fresh local cluster of
 * three node JVMs, step by step with the same numbers, and proves the outcome: the restarted
 * follower catches up records larger than {@code peer-max-bytes} and all three replicas end with
 * byte-identical logs. Exit code 0 only then (PASS); 1 on FAIL or any error.
 *
 * <p>The nodes always stop at the end (unless {@code --keep}), also after an error, on Ctrl-C and
 * when {@code --timeout} passes: see {@link DemoSession}.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    defaultValueProvider = SessionOptions.DemoDefaults.class,
    description = {
      "Replays the incident of docs/incident.md on a fresh local cluster of 3 node JVMs: a follower"
          + " restarted after the leader took records larger than peer-max-bytes (1 MiB) catches"
          + " up, and all replicas end with identical logs (PASS, exit code 0).",
      "Node K uses ports P+10(K-1) to P+10(K-1)+3.",
      LocalClusterProcesses.JAVA_OPTS_HELP
    })
final class DemoCommand implements Callable<Integer> {

  static final String TOPIC = "incident";
  static final int PARTITION = 0;
  static final int NODES = 3;
  static final int SMALL_RECORDS = 10;
  static final long MIB = Sizes.MIB;

  /** Step 5: around the 1 MiB frame limit, then far above it. */
  static final List<Long> LARGE_RECORDS = List.of(MIB - 1, MIB, MIB + 1, 8 * MIB, 64 * MIB);

  /** The settings of the incident; the batch and segment limits make room for 64 MiB records. */
  static final Map<String, String> SETTINGS =
      Map.of(
          "sluice.replication.peer-max-bytes", "1MiB",
          "sluice.storage.max-batch-bytes", "128MiB",
          "sluice.storage.segment-bytes", "256MiB");

  @Spec CommandSpec spec;

  @Mixin SessionOptions sessionOptions;

  @Option(
      names = "--keep",
      description = "Leave the nodes running and the files in place at the end.")
  boolean keep;

  @Option(
      names = "--insecure",
      description =
          "Plaintext listeners and no tokens (default: TLS and tokens, with a CA created for the"
              + " demo's cluster).")
  boolean insecure;

  private PrintWriter out;
  private int step;

  /** Checks the options; a problem is a usage error (exit code 2), found before anything starts. */
  void validate() {
    sessionOptions.check(NODES, SETTINGS, security());
  }

  private LocalClusterLayout.Security security() {
    return insecure ? LocalClusterLayout.Security.INSECURE : LocalClusterLayout.Security.SECURE;
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    validate();
    out = spec.commandLine().getOut();
    DemoSession session = sessionOptions.open("demo", NODES, SETTINGS, security());
    boolean passed = false;
    try {
      passed = run(session.cluster(), session.dir());
      return passed ? 0 : 1;
    } catch (RuntimeException | InterruptedException e) {
      out.printf("FAIL at step %d: %s%n", step, firstLine(e));
      out.flush();
      throw e;
    } finally {
      if (keep) {
        session.keepNodes();
      } else if (!passed) {
        session.keepFiles();
      }
      session.close();
    }
  }

  private boolean run(DemoCluster cluster, Path dir) throws IOException, InterruptedException {
    LocalClusterLayout layout = cluster.layout();
    out.printf(
        "Sluice demo: the incident of docs/incident.md on a fresh local cluster%n"
            + "  files: %s%n  ports: %d-%d%n  settings: %s%n  security: %s%n%n",
        dir,
        layout.basePort(),
        layout.nodes().get(NODES - 1).clusterPort(),
        new java.util.TreeMap<>(SETTINGS),
        layout.security() == LocalClusterLayout.Security.SECURE
            ? "TLS on every listener, bearer tokens (CA and admin token in "
                + layout.securityDir()
                + ")"
            : "none (--insecure)");

    step(1, "start a cluster of %d storage nodes", NODES);
    long t = System.nanoTime();
    cluster.start();
    say("all %d nodes up after %.1f s", NODES, seconds(t));

    step(2, "create a topic whose partition has %d replicas", NODES);
    PartitionDescription p = cluster.createTopic(TOPIC, NODES);
    int leader = p.leader();
    say(
        "topic %s: partition %d on nodes %s, leader node %d (epoch %d), in sync %s",
        TOPIC, PARTITION, p.replicaNodes(), leader, p.leaderEpoch(), p.inSync());

    step(3, "produce some records");
    SluiceClient client = cluster.client(leader);
    long offset = 0;
    for (int i = 0; i < SMALL_RECORDS; i++) {
      offset = produce(client, 100 + 100L * i, i, offset);
    }
    say(
        "%d records of 100 B to %s at offsets 0-%d, each acknowledged by the in-sync replicas"
            + " (acks=all)",
        SMALL_RECORDS, Sizes.format(100L * SMALL_RECORDS), SMALL_RECORDS - 1);

    int follower = cluster.chooseFollower(p);
    step(4, "restart one node (a follower): stop node %d with SIGTERM", follower);
    long followerLeo = offset;
    t = System.nanoTime();
    long pid = cluster.pid(follower);
    boolean graceful = cluster.stopNode(follower);
    say(
        "node %d (pid %d) %s after %.1f s",
        follower, pid, graceful ? "stopped" : "did not stop on SIGTERM and was killed", seconds(t));
    t = System.nanoTime();
    PartitionDescription after = cluster.awaitOutOfSync(TOPIC, leader, follower);
    say(
        "in-sync set %s -> %s after %.1f s: node %d is out, acks=all now waits for %s only",
        p.inSync(), after.inSync(), seconds(t), follower, after.inSync());

    step(
        5,
        "produce records larger than peer-max-bytes (%s) while node %d is down",
        Sizes.format(MIB),
        follower);
    long seed = SMALL_RECORDS;
    for (long size : LARGE_RECORDS) {
      t = System.nanoTime();
      long expected = offset;
      offset = produce(client, size, seed++, offset);
      say(
          "%-10s  %,11d bytes  offset %d  (%.1f s, acks=all)",
          Sizes.describe(size), size, expected, seconds(t));
    }
    long end = offset;

    step(6, "restart node %d and watch it catch up", follower);
    DemoCatchUp catchUp = new DemoCatchUp(cluster, TOPIC, PARTITION, leader, follower, end, out);
    DemoCatchUp.Result result = catchUp.restartAndWatch(followerLeo, "");
    say("%s", result.summary());

    step(7, "check that all %d replicas hold identical logs", NODES);
    return check(cluster, leader, end);
  }

  private boolean check(DemoCluster cluster, int leader, long end)
      throws IOException, InterruptedException {
    PartitionDescription p =
        cluster.await(
            "every replica to report leo = hw = " + end,
            DemoCluster.STEP_WAIT,
            () ->
                cluster
                    .describe(leader, TOPIC)
                    .filter(
                        x ->
                            x.replicas().size() == NODES
                                && x.replicas().stream()
                                    .allMatch(r -> r.leo() == end && r.hw() == end))
                    .orElse(null));
    Path reference = DemoCatchUp.partitionDir(cluster, leader, TOPIC, PARTITION);
    List<String> problems = new ArrayList<>();
    Table table = new Table("node", "role", "leo", "hw", "state", "segments", "bytes", "log");
    for (ReplicaDescription r : p.replicas()) {
      Path partitionDir = DemoCatchUp.partitionDir(cluster, r.node(), TOPIC, PARTITION);
      List<String> differences =
          r.node() == leader ? List.of() : DemoLogCheck.differences(reference, partitionDir);
      problems.addAll(differences);
      table.row(
          r.node(),
          r.role(),
          r.leo(),
          r.hw(),
          r.state(),
          DemoLogCheck.segments(partitionDir).size(),
          DemoLogCheck.segmentBytes(partitionDir),
          r.node() == leader
              ? "reference"
              : differences.isEmpty() ? "identical to node " + leader : "DIFFERS");
    }
    if (DemoLogCheck.segments(reference).isEmpty()) {
      problems.add("the leader has no segment files in " + reference);
    }
    if (!p.inSync().containsAll(p.replicaNodes())) {
      problems.add("in-sync set " + p.inSync() + " lacks some of " + p.replicaNodes());
    }
    StringWriter rendered = new StringWriter();
    table.print(new PrintWriter(rendered));
    rendered.toString().lines().forEach(line -> out.println("    " + line));
    out.println();
    if (problems.isEmpty()) {
      out.printf(
          "PASS: all %d replicas hold identical logs (%d records, %s of segments; leo = hw = %d)%n",
          NODES, end, Sizes.format(DemoLogCheck.segmentBytes(reference)), end);
    } else {
      out.println("FAIL: the replicas differ:");
      problems.forEach(x -> out.println("  " + x));
    }
    out.flush();
    return problems.isEmpty();
  }

  /** Produces one generated record and checks that it got the next offset. */
  private static long produce(SluiceClient client, long size, long seed, long expected) {
    long offset =
        client.append(TOPIC, PARTITION, null, Acks.ALL, () -> DemoValues.body(size, seed), false);
    if (offset != expected) {
      throw new CliException(
          "record of " + size + " bytes got offset " + offset + ", expected " + expected);
    }
    return offset + 1;
  }

  private void step(int number, String format, Object... args) {
    step = number;
    out.println();
    out.printf(Locale.ROOT, number + ". " + format + "%n", args);
    out.flush();
  }

  private void say(String format, Object... args) {
    out.printf(Locale.ROOT, "    " + format + "%n", args);
    out.flush();
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
