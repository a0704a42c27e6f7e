package dev.sluice.tools;

import dev.sluice.api.Acks;
import dev.sluice.api.PartitionDescription;
import dev.sluice.client.SluiceClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sluice bench catchup}: how fast a restarted follower catches up a backlog of large
 * records, and how much heap it needs doing so. On a fresh local cluster of three nodes: a topic
 * with three replicas, one follower stopped (SIGTERM), the backlog produced (acks=all), the
 * follower restarted with a GC log. Reports the catch-up throughput, the time to in-sync and the
 * follower's peak heap read from its GC log ({@link DemoGcLog}), then checks that the replicas'
 * logs are byte-identical (a benchmark that loses data measures nothing).
 */
@Command(
    name = "catchup",
    mixinStandardHelpOptions = true,
    defaultValueProvider = SessionOptions.BenchDefaults.class,
    description = {
      "Measures a restarted follower catching up a backlog on a fresh local cluster of 3 nodes:"
          + " MiB/s, seconds to in-sync, and the follower's peak heap (from its GC log).",
      "Node JVM options: env " + LocalClusterProcesses.JAVA_OPTS_ENV + "."
    })
final class BenchCatchupCommand implements Callable<Integer> {

  static final String TOPIC = "bench-catchup";
  static final int NODES = 3;
  static final long MIN_PEER_MAX_BYTES = 4 * Sizes.KIB;
  static final long MAX_RECORD_BYTES = Sizes.GIB;
  static final long MAX_SEGMENT_BYTES = 2 * Sizes.GIB - 1;

  @Spec CommandSpec spec;

  @Mixin SessionOptions sessionOptions;

  @Option(
      names = "--backlog-bytes",
      paramLabel = "SIZE",
      defaultValue = "512MiB",
      converter = Sizes.Converter.class,
      description = "Bytes of records the follower misses (default: ${DEFAULT-VALUE}).")
  long backlogBytes;

  @Option(
      names = "--record-bytes",
      paramLabel = "SIZE",
      defaultValue = "64MiB",
      converter = Sizes.Converter.class,
      description = "Size of each record (default: ${DEFAULT-VALUE}).")
  long recordBytes;

  @Option(
      names = "--peer-max-bytes",
      paramLabel = "SIZE",
      defaultValue = "1MiB",
      converter = Sizes.Converter.class,
      description =
          "sluice.replication.peer-max-bytes: the frame limit (default: ${DEFAULT-VALUE}).")
  long peerMaxBytes;

  @Option(
      names = "--follower-heap",
      paramLabel = "SIZE",
      description =
          "-Xmx of the restarted follower, e.g. 128m (default: as the other nodes, env "
              + LocalClusterProcesses.JAVA_OPTS_ENV
              + " or "
              + LocalClusterProcesses.DEFAULT_JAVA_OPTS
              + ").")
  String followerHeap;

  @Option(
      names = "--tls",
      paramLabel = "on|off",
      defaultValue = "on",
      converter = SessionOptions.TlsConverter.class,
      description = SessionOptions.TLS_DESCRIPTION)
  LocalClusterLayout.Security tls;

  /** The node settings for the options: batches and segments large enough for the records. */
  Map<String, String> settings() {
    long maxBatch = Math.max(128 * Sizes.MIB, roundUpToMib(recordBytes + Sizes.MIB));
    long segment = Math.min(MAX_SEGMENT_BYTES, Math.max(256 * Sizes.MIB, 2 * maxBatch));
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("sluice.replication.peer-max-bytes", String.valueOf(peerMaxBytes));
    settings.put("sluice.storage.max-batch-bytes", String.valueOf(maxBatch));
    settings.put("sluice.storage.segment-bytes", String.valueOf(segment));
    return settings;
  }

  /** Checks the options; a problem is a usage error (exit code 2), found before anything starts. */
  void validate() {
    if (recordBytes < 1 || recordBytes > MAX_RECORD_BYTES) {
      throw usage("--record-bytes must be between 1 and 1GiB, got " + recordBytes);
    }
    if (backlogBytes < recordBytes) {
      throw usage(
          "--backlog-bytes ("
              + backlogBytes
              + ") must be at least --record-bytes ("
              + recordBytes
              + ")");
    }
    if (peerMaxBytes < MIN_PEER_MAX_BYTES || peerMaxBytes > 256 * Sizes.MIB) {
      throw usage("--peer-max-bytes must be between 4KiB and 256MiB, got " + peerMaxBytes);
    }
    if (followerHeap != null && !followerHeap.matches("\\d+[kKmMgG]?")) {
      throw usage("--follower-heap must be a JVM heap size like 128m or 1g, got " + followerHeap);
    }
    sessionOptions.check(NODES, settings(), tls);
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    validate();
    PrintWriter out = spec.commandLine().getOut();
    long records = (backlogBytes + recordBytes - 1) / recordBytes;
    try (DemoSession session = sessionOptions.open("bench-catchup", NODES, settings(), tls)) {
      DemoCluster cluster = session.cluster();
      out.printf(
          "bench catchup in %s, settings %s, TLS %s%n",
          session.dir(), settings(), tls == LocalClusterLayout.Security.SECURE ? "on" : "off");
      cluster.start();
      PartitionDescription p = cluster.createTopic(TOPIC, NODES);
      int leader = p.leader();
      int follower = cluster.chooseFollower(p);
      SluiceClient client = cluster.client(leader);
      client.append(TOPIC, 0, null, Acks.ALL, () -> DemoValues.body(100, 0), false);
      out.printf("topic %s: leader node %d; stopping follower node %d%n", TOPIC, leader, follower);
      out.flush();
      cluster.stopNode(follower);
      cluster.awaitOutOfSync(TOPIC, leader, follower);

      long produceStart = System.nanoTime();
      for (long i = 0; i < records; i++) {
        long seed = i + 1;
        client.append(TOPIC, 0, null, Acks.ALL, () -> DemoValues.body(recordBytes, seed), false);
      }
      long produceNanos = System.nanoTime() - produceStart;
      long end = records + 1;
      out.printf(
          Locale.ROOT,
          "produced the backlog: %d records of %s (%s) in %.1f s, %.1f MiB/s with acks=all to 2"
              + " replicas%n",
          records,
          Sizes.format(recordBytes),
          Sizes.format(records * recordBytes),
          produceNanos / 1e9,
          Sizes.mibPerSecond(records * recordBytes, produceNanos));

      Path gcLog = cluster.node(follower).dir().resolve("gc-catchup.log");
      String extra = DemoGcLog.option(gcLog) + (followerHeap == null ? "" : " -Xmx" + followerHeap);
      DemoCatchUp.Result result =
          new DemoCatchUp(cluster, TOPIC, 0, leader, follower, end, out).restartAndWatch(1, extra);

      List<String> differences = identical(cluster, leader, follower);
      out.println();
      out.println("bench catchup results");
      Table table = new Table("metric", "value");
      table.row("backlog", records + " records x " + Sizes.format(recordBytes));
      table.row("bytes caught up", Sizes.format(result.bytes()) + " (" + result.bytes() + ")");
      table.row("peer-max-bytes", Sizes.format(peerMaxBytes));
      table.row("TLS", tls == LocalClusterLayout.Security.SECURE ? "on (and tokens)" : "off");
      table.row("seconds to in-sync", seconds(result.toInSyncNanos()) + " (from the JVM start)");
      table.row(
          "seconds of transfer", seconds(result.transferNanos()) + " (first report to in-sync)");
      table.row("catch-up MiB/s", mibs(result.transferMibPerSecond()) + " (over the transfer)");
      table.row(
          "catch-up MiB/s overall",
          mibs(Sizes.mibPerSecond(result.bytes(), result.toInSyncNanos())));
      DemoGcLog.read(gcLog)
          .ifPresentOrElse(
              heap -> {
                table.row(
                    "follower peak heap",
                    Sizes.format(heap.peakBeforeGc())
                        + " used before a GC, "
                        + Sizes.format(heap.peakAfterGc())
                        + " after, of "
                        + Sizes.format(heap.peakCapacity())
                        + " committed ("
                        + heap.collections()
                        + " GCs)");
              },
              () -> table.row("follower peak heap", "unknown: no collection in " + gcLog));
      table.row("follower JVM options", extra);
      table.row(
          "logs identical",
          differences.isEmpty() ? "yes" : "NO: " + String.join("; ", differences));
      table.print(out);
      out.flush();
      return differences.isEmpty() ? 0 : 1;
    }
  }

  private static List<String> identical(DemoCluster cluster, int leader, int follower)
      throws IOException {
    return DemoLogCheck.differences(
        DemoCatchUp.partitionDir(cluster, leader, TOPIC, 0),
        DemoCatchUp.partitionDir(cluster, follower, TOPIC, 0));
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f", nanos / 1e9);
  }

  private static String mibs(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }

  private static long roundUpToMib(long bytes) {
    return (bytes + Sizes.MIB - 1) / Sizes.MIB * Sizes.MIB;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
