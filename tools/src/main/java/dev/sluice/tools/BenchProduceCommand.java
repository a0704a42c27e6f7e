package dev.sluice.tools;

import dev.sluice.api.Acks;
import dev.sluice.api.PartitionDescription;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceProducer;
import dev.sluice.format.Compression;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code sluice bench produce}: produce throughput and latency with {@code acks=all} to a topic
 * with three replicas. Runs on a fresh local cluster of three nodes (TLS and tokens unless {@code
 * --tls off}), or against {@code --server}, with the CA and token resolved as for every client
 * command ({@link ServerOptions}). The warm-up records are left out of every figure.
 *
 * <p>Two modes. {@code requests} (the default): C concurrent HTTP requests of one record each;
 * latency per request, from sending it to reading the acknowledged offset. {@code producer} (chosen
 * by {@code --mode producer} or by any of its options): C application threads send through {@link
 * dev.sluice.client.SluiceProducer}, which batches by {@code --batch-bytes} and {@code --linger-ms}
 * ({@link BenchProducerRun}); it reports each record's latency from send to acknowledgement and
 * each batch request's latency. The producer is idempotent unless {@code --idempotence off}, which
 * is also what allows more than {@link SluiceProducer#MAX_IN_FLIGHT_IDEMPOTENT} batches in flight,
 * and compresses with {@code --compression}; the records' values are random bytes, which do not
 * compress, so a codec shows its cost rather than its gain.
 */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    defaultValueProvider = SessionOptions.BenchDefaults.class,
    description = {
      "Measures produce throughput and latency (acks=all, p50/p95/p99/max) with C concurrent"
          + " requests, on a fresh local cluster of 3 nodes or against --server.",
      "With --mode producer (or any of --total-bytes, --batch-bytes, --linger-ms,"
          + " --max-in-flight, --compression, --idempotence), C threads send through the"
          + " batching producer instead; it reports record (send to ack) and batch request"
          + " latencies.",
      LocalClusterProcesses.JAVA_OPTS_HELP
    })
final class BenchProduceCommand implements Callable<Integer> {

  static final int NODES = 3;
  static final long MAX_RECORD_BYTES = 128 * Sizes.MIB;

  /**
   * A producer batch travels as one RecordBatch v2 body; half the server's default {@code
   * sluice.api.inline-batch-bytes} leaves room for a record larger than the batch size.
   */
  static final long MAX_PRODUCER_BYTES = 8 * Sizes.MIB;

  /** The most batches in flight per partition, without idempotence. */
  static final int MAX_IN_FLIGHT = 16;

  /** Record latencies are kept one long each: 64 MiB of them at most. */
  static final long MAX_PRODUCER_RECORDS = 8L << 20;

  /** One HTTP request per record, or batches through the producer. */
  enum Mode {
    REQUESTS,
    PRODUCER
  }

  private static final List<String> PRODUCER_OPTIONS =
      List.of(
          "--total-bytes",
          "--batch-bytes",
          "--linger-ms",
          "--max-in-flight",
          "--compression",
          "--idempotence");

  @Option(
      names = "--mode",
      paramLabel = "requests|producer",
      converter = ModeConverter.class,
      description =
          "requests: one HTTP request per record; producer: batches through the Java producer"
              + " (default: producer when one of its options is given, else requests).")
  Mode mode;

  @Option(
      names = "--total-bytes",
      paramLabel = "SIZE",
      converter = Sizes.Converter.class,
      description =
          "Producer mode: measure this many bytes of records instead of --records (e.g. 512MiB).")
  Long totalBytes;

  @Option(
      names = "--batch-bytes",
      paramLabel = "SIZE",
      defaultValue = "256KiB",
      converter = Sizes.Converter.class,
      description =
          "Producer mode: batch size, as bytes of the encoded record batch before compression"
              + " (default: ${DEFAULT-VALUE}).")
  long batchBytes;

  @Option(
      names = "--linger-ms",
      paramLabel = "MS",
      defaultValue = "5",
      description =
          "Producer mode: how long a batch waits for more records (default: ${DEFAULT-VALUE}).")
  int lingerMs;

  @Option(
      names = "--max-in-flight",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Producer mode: batches in flight per partition, at most "
              + SluiceProducer.MAX_IN_FLIGHT_IDEMPOTENT
              + " with idempotence, 16 without; above 1 without idempotence a retry can reorder"
              + " (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(
      names = "--compression",
      paramLabel = ProducerOptions.COMPRESSION_LABEL,
      defaultValue = "none",
      converter = ProducerOptions.CompressionConverter.class,
      description =
          "Producer mode: "
              + ProducerOptions.COMPRESSION_DESCRIPTION
              + " The values are random bytes, which do not compress.")
  Compression compression;

  @Option(
      names = "--idempotence",
      paramLabel = "on|off",
      defaultValue = "on",
      converter = ProducerOptions.OnOffConverter.class,
      description = "Producer mode: " + ProducerOptions.IDEMPOTENCE_DESCRIPTION)
  ProducerOptions.OnOff idempotence;

  @Spec CommandSpec spec;

  @Mixin SessionOptions sessionOptions;

  @Option(
      names = "--records",
      paramLabel = "N",
      defaultValue = "2000",
      description = "Records to measure (default: ${DEFAULT-VALUE}).")
  int records;

  @Option(
      names = "--record-bytes",
      paramLabel = "SIZE",
      defaultValue = "64KiB",
      converter = Sizes.Converter.class,
      description = "Size of each record (default: ${DEFAULT-VALUE}).")
  long recordBytes;

  @Option(
      names = "--concurrency",
      paramLabel = "C",
      defaultValue = "4",
      description =
          "Requests in flight at once; in producer mode, threads calling send (default:"
              + " ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--warmup",
      paramLabel = "N",
      defaultValue = "50",
      description = "Records sent first and not counted (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--replicas",
      paramLabel = "R",
      defaultValue = "3",
      description = "Replication factor of the topic (default: ${DEFAULT-VALUE}).")
  int replicas;

  @Option(
      names = "--topic",
      paramLabel = "NAME",
      description = "Topic to create and produce to (default: bench-produce-<time>).")
  String topic;

  @Option(
      names = "--server",
      paramLabel = "URL",
      converter = ServerOptions.HttpUriConverter.class,
      description = "A running node's API; without it a fresh local cluster of 3 nodes is started.")
  URI server;

  @Option(
      names = "--ca-file",
      paramLabel = "PEM",
      description =
          "With --server: CA certificates (PEM) of the node's https certificate (default: env "
              + ServerOptions.CA_FILE_ENV
              + ", else the client settings file's ca-file).")
  Path caFile;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description =
          "With --server: bearer token (visible in the process list: prefer env "
              + ServerOptions.TOKEN_ENV
              + " or --token-file).")
  String token;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "With --server: file holding the bearer token (default: env "
              + ServerOptions.TOKEN_ENV
              + ", else env "
              + ServerOptions.TOKEN_FILE_ENV
              + ", else the client settings file's token-file).")
  Path tokenFile;

  @Option(
      names = "--tls",
      paramLabel = "on|off",
      defaultValue = "on",
      converter = SessionOptions.TlsConverter.class,
      description = "Without --server: " + SessionOptions.TLS_DESCRIPTION)
  LocalClusterLayout.Security tls;

  /** The measured figures; latencies in nanoseconds, sorted. */
  record Figures(long records, long bytes, long elapsedNanos, long[] latencies) {
    double mibPerSecond() {
      return Sizes.mibPerSecond(bytes, elapsedNanos);
    }

    /** Nearest-rank percentile, in milliseconds. */
    double percentileMillis(double percent) {
      int rank = (int) Math.ceil(percent / 100.0 * latencies.length);
      return latencies[Math.max(0, Math.min(latencies.length - 1, rank - 1))] / 1e6;
    }
  }

  /** The mode asked for, or the one the options given imply. */
  Mode mode() {
    if (mode != null) {
      return mode;
    }
    return PRODUCER_OPTIONS.stream().anyMatch(this::matched) ? Mode.PRODUCER : Mode.REQUESTS;
  }

  /** Records to measure: from --total-bytes when given, else --records. */
  long measuredRecords() {
    return totalBytes == null ? records : (totalBytes + recordBytes - 1) / recordBytes;
  }

  /** Checks the options; a problem is a usage error (exit code 2), found before anything starts. */
  void validate() {
    if (mode() == Mode.REQUESTS) {
      for (String option : PRODUCER_OPTIONS) {
        if (matched(option)) {
          throw usage(option + " applies to --mode producer, not to --mode requests");
        }
      }
    } else {
      validateProducer();
    }
    if (records < 1) {
      throw usage("--records must be at least 1, got " + records);
    }
    if (recordBytes < 1 || recordBytes > MAX_RECORD_BYTES) {
      throw usage("--record-bytes must be between 1 and 128MiB, got " + recordBytes);
    }
    if (concurrency < 1 || concurrency > 256) {
      throw usage("--concurrency must be between 1 and 256, got " + concurrency);
    }
    if (warmup < 0) {
      throw usage("--warmup must be at least 0, got " + warmup);
    }
    if (replicas < 1 || server == null && replicas > NODES) {
      throw usage(
          "--replicas must be between 1 and "
              + (server == null ? NODES + " (the local cluster's nodes)" : "the cluster's nodes")
              + ", got "
              + replicas);
    }
    if (server == null) {
      for (String option : List.of("--ca-file", "--token", "--token-file")) {
        if (matched(option)) {
          throw usage(option + " applies to --server only; a local cluster's are its own");
        }
      }
      sessionOptions.check(NODES, Map.of(), tls);
    } else if (matched("--tls")) {
      throw usage("--tls applies to the local cluster; with --server the URL's scheme decides");
    }
  }

  private void validateProducer() {
    if (totalBytes != null && matched("--records")) {
      throw usage("give --records or --total-bytes, not both");
    }
    if (recordBytes > MAX_PRODUCER_BYTES) {
      throw usage(
          "--record-bytes must be at most 8MiB in producer mode (larger records: --mode"
              + " requests), got "
              + recordBytes);
    }
    if (batchBytes < Sizes.KIB || batchBytes > MAX_PRODUCER_BYTES) {
      throw usage("--batch-bytes must be between 1KiB and 8MiB, got " + batchBytes);
    }
    if (lingerMs < 0 || lingerMs > 60_000) {
      throw usage("--linger-ms must be between 0 and 60000, got " + lingerMs);
    }
    if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT) {
      throw usage(
          "--max-in-flight must be between 1 and " + MAX_IN_FLIGHT + ", got " + maxInFlight);
    }
    if (idempotence.on() && maxInFlight > SluiceProducer.MAX_IN_FLIGHT_IDEMPOTENT) {
      throw usage(
          "--max-in-flight must be at most "
              + SluiceProducer.MAX_IN_FLIGHT_IDEMPOTENT
              + " with idempotence (a leader recognises a retry only among a producer's last "
              + SluiceProducer.MAX_IN_FLIGHT_IDEMPOTENT
              + " batches per partition), got "
              + maxInFlight
              + "; add --idempotence off for up to "
              + MAX_IN_FLIGHT);
    }
    if (totalBytes != null && totalBytes < recordBytes) {
      throw usage(
          "--total-bytes ("
              + totalBytes
              + ") must be at least --record-bytes ("
              + recordBytes
              + ")");
    }
    if (measuredRecords() > MAX_PRODUCER_RECORDS) {
      throw usage(
          "--total-bytes / --record-bytes makes "
              + measuredRecords()
              + " records, above the "
              + MAX_PRODUCER_RECORDS
              + " whose latencies this benchmark keeps");
    }
  }

  BenchProducerRun.Options producerOptions() {
    return new BenchProducerRun.Options(
        measuredRecords(),
        (int) recordBytes,
        warmup,
        concurrency,
        (int) batchBytes,
        Duration.ofMillis(lingerMs),
        maxInFlight,
        compression,
        idempotence.on());
  }

  /** {@code requests} or {@code producer}, case-insensitively; anything else is a usage error. */
  static final class ModeConverter implements ITypeConverter<Mode> {
    @Override
    public Mode convert(String value) {
      for (Mode m : Mode.values()) {
        if (m.name().equalsIgnoreCase(value)) {
          return m;
        }
      }
      throw new TypeConversionException("'" + value + "' is not a mode: requests or producer");
    }
  }

  private boolean matched(String option) {
    return spec.commandLine().getParseResult() != null
        && spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  /**
   * The client of {@code --server}: its CA and token come from the options, the environment or the
   * client settings file, as for every client command.
   */
  SluiceClient serverClient() {
    ServerOptions options = new ServerOptions();
    options.server = server == null ? null : List.of(server);
    options.caFile = caFile;
    options.token = token;
    options.tokenFile = tokenFile;
    Object root = spec.root().userObject();
    Map<String, String> env = root instanceof SluiceCli cli ? cli.environment() : System.getenv();
    return options.resolve(env, ServerOptions.DEFAULT_CLIENT_CONF).client();
  }

  @Override
  public Integer call() throws IOException, InterruptedException, ExecutionException {
    validate();
    PrintWriter out = spec.commandLine().getOut();
    String name = topic != null ? topic : "bench-produce-" + System.currentTimeMillis();
    if (server != null) {
      SluiceClient client = serverClient();
      client.createTopic(name, 1, replicas);
      out.printf("bench produce against %s, topic %s%n", server, name);
      out.flush();
      run(out, client, name);
      return 0;
    }
    try (DemoSession session = sessionOptions.open("bench-produce", NODES, Map.of(), tls)) {
      DemoCluster cluster = session.cluster();
      out.printf(
          "bench produce on a local cluster in %s, TLS %s%n",
          session.dir(), tls == LocalClusterLayout.Security.SECURE ? "on" : "off");
      cluster.start();
      PartitionDescription p = cluster.createTopic(name, replicas);
      out.printf("topic %s: leader node %d, in sync %s%n", name, p.leader(), p.inSync());
      out.flush();
      Map<Integer, String> before = new TreeMap<>();
      run(out, cluster.client(p.leader()), name, () -> before.putAll(cluster.metrics()));
      new ServerTimes(p.leader(), before, cluster.metrics()).print(out);
      return 0;
    }
  }

  private void run(PrintWriter out, SluiceClient client, String name)
      throws InterruptedException, ExecutionException {
    run(out, client, name, () -> {});
  }

  /** Runs the benchmark; {@code atStart} runs after the warm-up, before the measured part. */
  private void run(PrintWriter out, SluiceClient client, String name, Runnable atStart)
      throws InterruptedException, ExecutionException {
    if (mode() == Mode.PRODUCER) {
      reportProducer(
          out, name, new BenchProducerRun(producerOptions()).run(client, name, out, atStart));
    } else {
      report(out, name, measure(client, name, atStart));
    }
  }

  Figures measure(SluiceClient client, String name)
      throws InterruptedException, ExecutionException {
    return measure(client, name, () -> {});
  }

  private Figures measure(SluiceClient client, String name, Runnable atStart)
      throws InterruptedException, ExecutionException {
    byte[] value = new byte[(int) recordBytes];
    new SplittableRandom(42).nextBytes(value);
    run(client, name, value, warmup, null);
    atStart.run();
    long[] latencies = new long[records];
    long start = System.nanoTime();
    run(client, name, value, records, latencies);
    long elapsed = System.nanoTime() - start;
    Arrays.sort(latencies);
    return new Figures(records, records * recordBytes, elapsed, latencies);
  }

  /** Sends {@code count} records from {@code concurrency} threads; records each latency. */
  private void run(SluiceClient client, String name, byte[] value, int count, long[] latencies)
      throws InterruptedException, ExecutionException {
    if (count == 0) {
      return;
    }
    AtomicLong next = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < concurrency; w++) {
        workers.add(
            pool.submit(
                () -> {
                  for (long i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    long t = System.nanoTime();
                    client.append(
                        name, 0, null, Acks.ALL, () -> BodyPublishers.ofByteArray(value), false);
                    if (latencies != null) {
                      latencies[(int) i] = System.nanoTime() - t;
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> worker : workers) {
        try {
          worker.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof RuntimeException r) {
            throw r;
          }
          throw e;
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private void report(PrintWriter out, String name, Figures f) {
    out.println();
    out.println("bench produce results");
    Table table = new Table("metric", "value");
    table.row(
        "records",
        f.records()
            + " x "
            + Sizes.format(recordBytes)
            + " to "
            + name
            + " (RF "
            + replicas
            + ", acks=all), "
            + concurrency
            + " concurrent, "
            + warmup
            + " warm-up records not counted");
    table.row(
        "throughput",
        String.format(
            Locale.ROOT,
            "%.1f MiB/s, %.0f records/s (%.1f s)",
            f.mibPerSecond(),
            f.records() / (f.elapsedNanos() / 1e9),
            f.elapsedNanos() / 1e9));
    table.row(
        "latency ms",
        String.format(
            Locale.ROOT,
            "p50 %.1f  p95 %.1f  p99 %.1f  max %.1f",
            f.percentileMillis(50),
            f.percentileMillis(95),
            f.percentileMillis(99),
            f.percentileMillis(100)));
    table.print(out);
    out.flush();
  }

  private void reportProducer(PrintWriter out, String name, BenchProducerRun.Result r) {
    out.println();
    out.println("bench produce results (producer)");
    Table table = new Table("metric", "value");
    table.row(
        "records",
        String.format(
            Locale.ROOT,
            "%d x %s to %s (RF %d, acks=all) through the producer: compression %s, idempotence %s,"
                + " batch-bytes %s, linger %d ms, max in flight %d, %d sending threads, %d warm-up"
                + " records not counted",
            r.records(),
            Sizes.format(recordBytes),
            name,
            replicas,
            compression.wireName(),
            idempotence,
            Sizes.format(batchBytes),
            lingerMs,
            maxInFlight,
            concurrency,
            warmup));
    table.row(
        "throughput",
        String.format(
            Locale.ROOT,
            "%.1f MiB/s, %.0f records/s (%.1f s)",
            r.mibPerSecond(),
            r.recordsPerSecond(),
            r.elapsedNanos() / 1e9));
    table.row("record latency ms", latencies(r.recordLatencies()) + " (send to acknowledgement)");
    table.row("request latency ms", latencies(r.requestLatencies()) + " (one batch request)");
    table.row("requests", requests(r, compression));
    table.print(out);
    out.println();
    out.printf(Locale.ROOT, "mib_per_s=%.1f%n", r.mibPerSecond());
    out.printf(Locale.ROOT, "records_per_s=%.0f%n", r.recordsPerSecond());
    out.printf(Locale.ROOT, "seconds=%.2f%n", r.elapsedNanos() / 1e9);
    out.printf(
        Locale.ROOT,
        "record_latency_ms_p50=%.1f%nrecord_latency_ms_p99=%.1f%n",
        BenchProducerRun.percentileMillis(r.recordLatencies(), 50),
        BenchProducerRun.percentileMillis(r.recordLatencies(), 99));
    out.printf(
        Locale.ROOT,
        "request_latency_ms_p50=%.1f%nrequest_latency_ms_p99=%.1f%n",
        BenchProducerRun.percentileMillis(r.requestLatencies(), 50),
        BenchProducerRun.percentileMillis(r.requestLatencies(), 99));
    out.flush();
  }

  /**
   * {@code 120 batches, on average 64.0 KiB (gzip) and 64.0 records; 1 failed attempts retried; 1
   * retry answered as duplicate ...}: the body size is the compressed one; duplicates only when
   * there were any.
   */
  static String requests(BenchProducerRun.Result r, Compression compression) {
    return String.format(
        Locale.ROOT,
        "%d batches, on average %s%s and %.1f records; %d failed attempts retried%s",
        r.requests(),
        Sizes.format(r.requests() == 0 ? 0 : r.requestBytes() / r.requests()),
        compression == Compression.NONE ? "" : " (" + compression.wireName() + ")",
        r.requests() == 0 ? 0.0 : r.requestRecords() / (double) r.requests(),
        r.retried(),
        r.duplicates() == 0
            ? ""
            : "; "
                + r.duplicates()
                + (r.duplicates() == 1 ? " retry" : " retries")
                + " answered as duplicate (already written, not written again)");
  }

  private static String latencies(long[] sortedNanos) {
    return String.format(
        Locale.ROOT,
        "p50 %.1f  p99 %.1f  max %.1f",
        BenchProducerRun.percentileMillis(sortedNanos, 50),
        BenchProducerRun.percentileMillis(sortedNanos, 99),
        BenchProducerRun.percentileMillis(sortedNanos, 100));
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}
