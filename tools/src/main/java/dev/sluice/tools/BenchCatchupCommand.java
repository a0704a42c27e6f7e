package dev.sluice.tools;

import dev.sluice.api.Acks;
import dev.sluice.api.PartitionDescription;
import dev.sluice.api.ProduceRecord;
import dev.sluice.client.SluiceClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
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
 * follower's peak heap read from its GC log ({@link DemoGcLog}), where the follower's seconds went
 * by the instants the follower node recorded itself ({@link CatchUpPhases}), then checks that the
 * replicas' logs are byte-identical (a benchmark that loses data measures nothing).
 */
@Command(
    name = "catchup",
    mixinStandardHelpOptions = true,
    defaultValueProvider = SessionOptions.BenchDefaults.class,
    description = {
      "Measures a restarted follower catching up a backlog on a fresh local cluster of 3 nodes:"
          + " MiB/s, seconds to in-sync, and the follower's peak heap (from its GC log).",
      LocalClusterProcesses.JAVA_OPTS_HELP
    })
final class BenchCatchupCommand implements Callable<Integer> {

  static final String TOPIC = "bench-catchup";
  static final int NODES = 3;
  static final long MIN_PEER_MAX_BYTES = 4 * Sizes.KIB;
  static final long MAX_RECORD_BYTES = Sizes.GIB;
  static final long MAX_SEGMENT_BYTES = 2 * Sizes.GIB - 1;

  /** How long the follower may take to learn it is in sync once the leader said so. */
  static final Duration PHASES_WAIT = Duration.ofSeconds(30);

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
      names = "--record-mix",
      paramLabel = "MIX",
      defaultValue = "uniform",
      converter = MixConverter.class,
      description =
          "uniform: every record --record-bytes; kafka-s2: the Kafka anchor's S2 backlog (64 MiB"
              + " cycles of 2 x 16 MiB, 7 x 4 MiB and 4,096 x 1 KiB records, interleaved; the"
              + " 1 KiB records go 256 to a request). Default: ${DEFAULT-VALUE}.")
  BacklogMix recordMix;

  /** Small records of the mix are sent this many to a request (Kafka's 256 KiB batch.size). */
  static final int SMALL_RECORDS_PER_REQUEST = 256;

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
          "-Xmx of the restarted follower, e.g. 64m (default: as the other nodes, env "
              + LocalClusterProcesses.JAVA_OPTS_ENV
              + " or -Xmx512m).")
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
    long largest = recordMix == null ? recordBytes : recordMix.largest(recordBytes);
    long maxBatch = Math.max(128 * Sizes.MIB, roundUpToMib(largest + Sizes.MIB));
    long segment = Math.min(MAX_SEGMENT_BYTES, Math.max(256 * Sizes.MIB, 2 * maxBatch));
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("sluice.replication.peer-max-bytes", String.valueOf(peerMaxBytes));
    settings.put("sluice.storage.max-batch-bytes", String.valueOf(maxBatch));
    settings.put("sluice.storage.segment-bytes", String.valueOf(segment));
    return settings;
  }

  /** Checks the options; a problem is a usage error (exit code 2), found before anything starts. */
  void validate() {
    if (recordMix == null) {
      recordMix = BacklogMix.UNIFORM;
    }
    if (recordBytes < 1 || recordBytes > MAX_RECORD_BYTES) {
      throw usage("--record-bytes must be between 1 and 1GiB, got " + recordBytes);
    }
    long largest = recordMix.largest(recordBytes);
    if (backlogBytes < largest) {
      throw usage(
          "--backlog-bytes ("
              + backlogBytes
              + ") must be at least "
              + (recordMix == BacklogMix.UNIFORM
                  ? "--record-bytes"
                  : "the largest record of --record-mix " + recordMix.option())
              + " ("
              + largest
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
    List<Long> sizes = recordMix.sizes(backlogBytes, recordBytes);
    long records = sizes.size();
    long backlog = sizes.stream().mapToLong(Long::longValue).sum();
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
      produceBacklog(client, sizes);
      long produceNanos = System.nanoTime() - produceStart;
      long end = records + 1;
      out.printf(
          Locale.ROOT,
          "produced the backlog: %d records (%s, %s) in %.1f s, %.1f MiB/s with acks=all to 2"
              + " replicas%n",
          records,
          describe(sizes),
          Sizes.format(backlog),
          produceNanos / 1e9,
          Sizes.mibPerSecond(backlog, produceNanos));

      Path gcLog = cluster.node(follower).dir().resolve("gc-catchup.log");
      String extra = DemoGcLog.option(gcLog) + (followerHeap == null ? "" : " -Xmx" + followerHeap);
      DemoCatchUp.Result result =
          new DemoCatchUp(cluster, TOPIC, 0, leader, follower, end, out).restartAndWatch(1, extra);

      CatchUpPhases phases = awaitPhases(cluster, follower, result.launchMillis());
      List<String> differences = identical(cluster, leader, follower);
      out.println();
      out.println("bench catchup results");
      Table table = new Table("metric", "value");
      table.row("backlog", records + " records: " + describe(sizes));
      table.row("record mix", recordMix.option());
      table.row("bytes caught up", Sizes.format(result.bytes()) + " (" + result.bytes() + ")");
      table.row("peer-max-bytes", Sizes.format(peerMaxBytes));
      table.row("TLS", tls == LocalClusterLayout.Security.SECURE ? "on (and tokens)" : "off");
      table.row(
          "seconds to in-sync",
          seconds(result.toInSyncNanos()) + " (from the launch, polled every 200 ms)");
      table.row(
          "seconds of transfer", seconds(result.transferNanos()) + " (first report to in-sync)");
      table.row("catch-up MiB/s", mibs(result.transferMibPerSecond()) + " (over the transfer)");
      table.row(
          "catch-up MiB/s overall",
          mibs(Sizes.mibPerSecond(result.bytes(), result.toInSyncNanos())));
      phases
          .between(CatchUpPhases.FIRST_BYTE, CatchUpPhases.LAST_BYTE)
          .ifPresent(
              millis ->
                  table.row(
                      "transfer MiB/s (follower's own)",
                      mibs(Sizes.mibPerSecond(result.bytes(), millis * 1_000_000L))
                          + " (first byte to last byte received, "
                          + seconds(millis * 1_000_000L)
                          + " s)"));
      phases
          .between(CatchUpPhases.LAUNCH, CatchUpPhases.IN_SYNC)
          .ifPresent(
              millis ->
                  table.row(
                      "launch to in-sync set",
                      seconds(millis * 1_000_000L)
                          + " s (T0 before the fork, as Kafka's harness; in-sync: the"
                          + " follower's own instant)"));
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
      out.println();
      out.println("where the follower's seconds went");
      phases.table().print(out);
      out.flush();
      return differences.isEmpty() ? 0 : 1;
    }
  }

  /**
   * Produces the backlog in order, acks=all: a large record streams as its own request; a run of
   * small records goes {@link #SMALL_RECORDS_PER_REQUEST} to a batched request, as a batching
   * producer would send them.
   */
  private static void produceBacklog(SluiceClient client, List<Long> sizes) {
    List<ProduceRecord> pending = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < sizes.size(); i++) {
      long size = sizes.get(i);
      if (size <= BacklogMix.SMALL) {
        byte[] value = new byte[(int) size];
        random.nextBytes(value);
        pending.add(new ProduceRecord(null, value));
        if (pending.size() == SMALL_RECORDS_PER_REQUEST) {
          client.appendBatch(TOPIC, 0, List.copyOf(pending), Acks.ALL);
          pending.clear();
        }
        continue;
      }
      if (!pending.isEmpty()) {
        client.appendBatch(TOPIC, 0, List.copyOf(pending), Acks.ALL);
        pending.clear();
      }
      long seed = i + 1;
      client.append(TOPIC, 0, null, Acks.ALL, () -> DemoValues.body(size, seed), false);
    }
    if (!pending.isEmpty()) {
      client.appendBatch(TOPIC, 0, List.copyOf(pending), Acks.ALL);
    }
  }

  /**
   * The follower's catch-up phases from its own instants: waits (at most {@link #PHASES_WAIT})
   * until its management answer shows it in the in-sync set, which it learns from the controller a
   * moment after the leader reported it; with whatever it reported by then.
   */
  private static CatchUpPhases awaitPhases(DemoCluster cluster, int follower, long launch)
      throws InterruptedException {
    CatchUpPhases[] last = {CatchUpPhases.of(launch, -1, -1, -1, -1, -1, -1, -1)};
    try {
      return cluster.await(
          "node " + follower + " to report itself in the in-sync set on GET /replicas",
          PHASES_WAIT,
          () -> {
            Optional<CatchUpPhases> p =
                cluster
                    .replicas(follower)
                    .flatMap(r -> CatchUpPhases.fromReplicas(r, TOPIC, 0, launch));
            p.ifPresent(x -> last[0] = x);
            return p.filter(x -> !x.missing().contains(CatchUpPhases.IN_SYNC)).orElse(null);
          });
    } catch (CliException e) {
      return last[0];
    }
  }

  /** "8 x 16 MiB, 28 x 4 MiB, 16384 x 1 KiB": how many records of each size, largest first. */
  static String describe(List<Long> sizes) {
    Map<Long, Long> counts = new TreeMap<>(Comparator.reverseOrder());
    for (long size : sizes) {
      counts.merge(size, 1L, Long::sum);
    }
    List<String> parts = new ArrayList<>();
    counts.forEach((size, n) -> parts.add(n + " x " + Sizes.format(size)));
    return String.join(", ", parts);
  }

  /** picocli converter for {@code --record-mix}. */
  static final class MixConverter implements picocli.CommandLine.ITypeConverter<BacklogMix> {
    @Override
    public BacklogMix convert(String value) {
      return BacklogMix.parse(value);
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
