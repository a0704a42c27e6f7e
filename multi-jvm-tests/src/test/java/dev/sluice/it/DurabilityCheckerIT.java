package dev.sluice.it;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The durability checker: three node JVMs under concurrent {@code acks=all} writers and a seeded
 * nemesis, then a check of every replica's log read straight from disk.
 *
 * <p><b>Set-up.</b> {@code min-in-sync-replicas = 2}, {@code peer-max-bytes = 256KiB} (so records
 * above it, which travel as chunks, are cheap), topic {@value #TOPIC} with {@value #PARTITIONS}
 * partitions x RF 3. {@value #WRITERS} writers each send one record at a time to a random partition
 * with the JDK HTTP client (following 307 to the leader, {@code acks=all}, a 10 s deadline per
 * request); about {@value #LARGE_PERCENT}% of the records are larger than {@code peer-max-bytes}.
 * Every value is unique and reproducible from (writer, sequence, length) ({@link CheckerValues}),
 * so only (partition, offset, writer, sequence, length) is kept per acknowledgement.
 *
 * <p><b>Faults.</b> {@link Nemesis}: kill -9 of leaders and followers (restarted after 2-12 s) and
 * a SIGSTOP of a leader for 20-25 s, past the split brain resolver's {@code stable-after = 7s},
 * then SIGCONT. A node the cluster downed while paused is never restarted by the test: it must come
 * back by itself (as a new incarnation); only a node that halts itself with exit code 70 is
 * restarted, by the cluster's supervisor, as systemd would.
 *
 * <p><b>Verdict.</b> After the plan: the writers stop, the nemesis heals (SIGCONT, restart of what
 * it killed), the cluster must quiesce within {@link #QUIESCENCE} (every node Up, every partition
 * led with a full in-sync set, equal log end and high watermark on every replica; otherwise a
 * liveness failure). The nodes stop with SIGTERM and every replica is opened with {@code
 * PartitionLog} from the data directories ({@link ReplicaLogs}). Counted:
 *
 * <ul>
 *   <li><b>lost</b>: acknowledged records that some replica lacks or holds with other bytes at the
 *       acknowledged offset;
 *   <li><b>diverged</b>: offsets below the highest checkpointed high watermark where the replicas'
 *       batches are not byte-identical (the first one is named);
 *   <li><b>corrupt</b>: records below that high watermark that are not exactly what some writer
 *       sent;
 *   <li>unacknowledged requests (refused, error answers, timeouts, broken connections: they may or
 *       may not be in the log; how many are is printed).
 * </ul>
 *
 * A node that never came back (the cluster downed it and it did not rejoin: a liveness failure of
 * its own) is held only to what it committed, below its own high watermark, so that its absence is
 * not counted again as thousands of lost records. The run fails on any lost, diverged or corrupt
 * record, on a liveness failure, or if nothing was acknowledged at all. {@link
 * HighWatermarkMonitor} samples every replica's high watermark every 200 ms throughout and the run
 * fails on any decrease, within one incarnation of a replica or across a restart of its node (see
 * that class for why neither is legitimate); {@code HighWatermarkNeverDecreasesIT} runs the same
 * monitor under repeated leader kills.
 *
 * <p><b>Running.</b> One seed, random unless given, always printed:
 *
 * <pre>
 * mvn -B -pl multi-jvm-tests -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=DurabilityCheckerIT [-Dsluice.checker.seed=N] [-Dsluice.checker.seconds=S]
 * </pre>
 *
 * {@code -Dsluice.checker.seeds=1..20} (or {@code 3,7,11}) runs those seeds one after another (a
 * fresh cluster each) and prints a table of their results at the end. {@code
 * -Dsluice.checker.seconds} is the fault plan's length (default {@value #DEFAULT_SECONDS}, which
 * keeps the whole run under four minutes on two cores); a replay with the same seed and seconds
 * runs the same plan. Each run prints one line starting with {@code DURABILITY}. A run's nodes keep
 * their data in {@code multi-jvm-tests/target/durability-checker/seed-N}, which stays there when
 * the run fails.
 */
class DurabilityCheckerIT {
  static final String TOPIC = "checker";
  static final int PARTITIONS = 3;
  static final int WRITERS = 6;
  static final int LARGE_PERCENT = 2;
  static final long DEFAULT_SECONDS = 90;
  private static final int PEER_MAX_BYTES = 256 * 1024;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration QUIESCENCE = Duration.ofSeconds(60);
  private static final Duration MONITOR_INTERVAL = Duration.ofMillis(200);
  private static final int DETAILS = 10;
  private static final int PRINTED_DETAILS = 100;
  private static final int FAILURE_SAMPLES = 12;

  @TestFactory
  Stream<DynamicTest> acknowledgedRecordsSurviveKillsAndPauses() {
    Duration seconds = Checkers.seconds(DEFAULT_SECONDS);
    return Checkers.perSeed(
        "durability-checker",
        "DURABILITY TABLE",
        String.format(
            "%10s %8s %8s %6s %8s %7s %5s %-8s %s",
            "seed", "acked", "unacked", "lost", "diverged", "corrupt", "hw↓", "liveness", "faults"),
        (seed, dir) -> new Run(seed, seconds, dir).execute());
  }

  /** What one seed's run found. */
  record Result(
      long seed,
      long acknowledged,
      long unacknowledged,
      String unacknowledgedDetail,
      long lost,
      long diverged,
      long corrupt,
      int hwDecreases,
      Optional<String> liveness,
      int faultsInjected,
      List<String> faults,
      List<String> details)
      implements Checkers.Verdict {

    @Override
    public String row() {
      return String.format(
          "%10d %8d %8d %6d %8d %7d %5d %-8s %d",
          seed,
          acknowledged,
          unacknowledged,
          lost,
          diverged,
          corrupt,
          hwDecreases,
          liveness.isEmpty() ? "ok" : "FAILED",
          faultsInjected);
    }

    @Override
    public String summary() {
      return "DURABILITY seed="
          + seed
          + " acknowledged="
          + acknowledged
          + " unacknowledged="
          + unacknowledged
          + " ("
          + unacknowledgedDetail
          + ") lost="
          + lost
          + " diverged="
          + diverged
          + " corrupt="
          + corrupt
          + " hwDecreases="
          + hwDecreases
          + " liveness="
          + (liveness.isEmpty() ? "ok" : "FAILED")
          + " faults="
          + faults;
    }

    @Override
    public Optional<String> failures() {
      return Checkers.failures(
          acknowledged,
          lost,
          diverged,
          hwDecreases,
          liveness,
          corrupt > 0
              ? List.of(corrupt + " records below the high watermark are not what any writer sent")
              : List.of(),
          details);
    }
  }

  /** One acknowledged record. */
  private record Ack(int partition, long offset, int writer, long seq, int length) {}

  /** One seed: a fresh cluster, the workload, the faults and the verdict. */
  private static final class Run {
    private final long seed;
    private final Duration seconds;
    private final Path dir;
    private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
    private final Map<ProduceClient.Failure, AtomicLong> failures =
        new EnumMap<>(ProduceClient.Failure.class);
    private final List<String> details = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> failureSamples = new java.util.LinkedHashSet<>();
    private volatile boolean writing = true;
    private int detailCount;

    Run(long seed, Duration seconds, Path dir) {
      this.seed = seed;
      this.seconds = seconds;
      this.dir = dir;
      for (ProduceClient.Failure f : ProduceClient.Failure.values()) {
        failures.put(f, new AtomicLong());
      }
    }

    Result execute() throws Exception {
      System.out.println(
          "durability checker: seed "
              + seed
              + ", plan of "
              + seconds.toSeconds()
              + " s, data in "
              + dir
              + " (replay: -Dsluice.checker.seed="
              + seed
              + " -Dsluice.checker.seconds="
              + seconds.toSeconds()
              + ")");
      List<Nemesis.Step> plan = Nemesis.plan(seed, seconds, PARTITIONS);
      System.out.println("durability checker: plan " + plan);
      try (NodeCluster cluster =
          NodeCluster.builder(dir)
              .set("sluice.replication.min-in-sync-replicas", "2")
              .set("sluice.replication.peer-max-bytes", "256KiB")
              .set("sluice.replication.replica-lag-time-max", "10s")
              .set("sluice.api.request-timeout", "5s")
              .start()) {
        cluster.createTopic(TOPIC, PARTITIONS, 3, NodeCluster.STARTUP);
        ProduceClient client = new ProduceClient(cluster, REQUEST_TIMEOUT);
        Nemesis nemesis = new Nemesis(cluster, TOPIC, plan, seed);
        Optional<String> liveness;
        HighWatermarkMonitor monitor = new HighWatermarkMonitor(cluster, MONITOR_INTERVAL).start();
        try {
          List<Thread> writers = startWriters(client);
          Thread progress = startProgressReports();
          nemesis.run(Instant.now().plus(seconds).plusSeconds(30));
          writing = false;
          for (Thread w : writers) {
            w.join();
          }
          progress.interrupt();
          nemesis.heal();
          liveness = Checkers.quiesce("durability checker", cluster, nemesis, TOPIC, QUIESCENCE);
        } finally {
          monitor.close();
        }
        System.out.println("durability checker: " + monitor.summary());
        monitor.shapeProblem().ifPresent(p -> details.add("high watermark monitor: " + p));
        Set<Integer> absent = Checkers.absentNodes(cluster, this::detail);
        List<String> stopProblems = cluster.stopAll(Duration.ofSeconds(60));
        stopProblems.forEach(p -> detail("stop: " + p));
        Result result = verify(cluster, nemesis, monitor, liveness, absent);
        System.out.println(result.summary());
        return result;
      }
    }

    private List<Thread> startWriters(ProduceClient client) {
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        Thread t = new Thread(() -> write(client, writer), "checker-writer-" + w);
        t.start();
        threads.add(t);
      }
      return threads;
    }

    /**
     * Keeps the first few distinct answers of each kind of failure (the numbers in them masked), so
     * a run with many unacknowledged requests says why.
     */
    private void sampleFailure(ProduceClient.Failed failed) {
      String shape =
          failed.failure() + ": " + failed.detail().replaceAll("[0-9]+", "N").replace('\n', ' ');
      if (shape.length() > 300) {
        shape = shape.substring(0, 300) + "...";
      }
      synchronized (failureSamples) {
        if (failureSamples.size() < FAILURE_SAMPLES && failureSamples.add(shape)) {
          System.out.println("durability checker: unacknowledged: " + shape);
        }
      }
    }

    /** Every 10 s: how many records were acknowledged so far, to read a run's pace. */
    private Thread startProgressReports() {
      Instant start = Instant.now();
      Thread t =
          new Thread(
              () -> {
                while (writing) {
                  try {
                    Thread.sleep(10_000); // reporting period
                  } catch (InterruptedException e) {
                    return;
                  }
                  System.out.println(
                      "durability checker: +"
                          + Duration.between(start, Instant.now()).toSeconds()
                          + "s acknowledged "
                          + acks.size()
                          + ", unacknowledged "
                          + failures);
                }
              },
              "checker-progress");
      t.setDaemon(true);
      t.start();
      return t;
    }

    private void write(ProduceClient client, int writer) {
      Random random = new Random(seed * 1_000_003 + writer);
      for (long seq = 0; writing; seq++) {
        int partition = random.nextInt(PARTITIONS);
        int length =
            random.nextInt(100) < LARGE_PERCENT
                ? PEER_MAX_BYTES + 1 + random.nextInt(PEER_MAX_BYTES)
                : CheckerValues.MIN_LENGTH + random.nextInt(960);
        byte[] value = CheckerValues.value(writer, seq, length);
        ProduceClient.Outcome outcome =
            client.produce(TOPIC, partition, value, ProduceClient.Acks.ALL);
        if (outcome instanceof ProduceClient.Acked a) {
          acks.add(new Ack(partition, a.offset(), writer, seq, length));
        } else {
          ProduceClient.Failed failed = (ProduceClient.Failed) outcome;
          failures.get(failed.failure()).incrementAndGet();
          sampleFailure(failed);
          try {
            Thread.sleep(100); // a client's back-off after a failed request
          } catch (InterruptedException e) {
            return;
          }
        }
      }
    }

    /**
     * Opens every replica from disk and counts lost, diverged and corrupt records. Replicas of
     * {@code absent} nodes (not running at the end: they never came back) are held only to what
     * they committed themselves, below their own high watermark; the liveness failure already
     * reports their absence.
     */
    private Result verify(
        NodeCluster cluster,
        Nemesis nemesis,
        HighWatermarkMonitor monitor,
        Optional<String> liveness,
        Set<Integer> absent)
        throws IOException {
      Map<Integer, List<Ack>> byPartition =
          acks.stream().collect(Collectors.groupingBy(Ack::partition));
      Set<Long> acknowledgedIds = new HashSet<>();
      acks.forEach(a -> acknowledgedIds.add(id(a.writer(), a.seq())));
      long lost = 0;
      long diverged = 0;
      long corrupt = 0;
      long unackedPresent = 0;
      for (int p = 0; p < PARTITIONS; p++) {
        try (ReplicaLogs logs = ReplicaLogs.open(cluster, TOPIC, p, cluster.nodes())) {
          for (Ack a : byPartition.getOrDefault(p, List.of())) {
            Optional<String> problem = checkAcknowledged(logs, a, absent);
            if (problem.isPresent()) {
              lost++;
              detail(problem.get());
            }
          }
          ReplicaLogs.Comparison c = logs.compare(absent);
          diverged += c.divergedOffsets();
          c.firstDifference().ifPresent(d -> detail("first difference: " + d));
          Optional<Integer> reference =
              logs.logs().keySet().stream().filter(n -> !absent.contains(n)).findFirst();
          for (long offset = 0; offset < c.highWatermark(); offset++) {
            boolean bad = false;
            for (int node : logs.logs().keySet()) {
              if (!checked(logs, node, offset, absent)) {
                continue;
              }
              Optional<byte[]> v = logs.value(node, offset);
              if (v.isPresent() && !CheckerValues.intact(v.get())) {
                bad = true;
                detail(
                    logs.partitionName()
                        + " offset "
                        + offset
                        + " on node "
                        + node
                        + " holds "
                        + CheckerValues.describe(v.get()));
              }
            }
            if (bad) {
              corrupt++;
            }
            Optional<CheckerValues.Id> id =
                reference.isEmpty()
                    ? Optional.empty()
                    : logs.value(reference.get(), offset).flatMap(CheckerValues::identify);
            if (id.isPresent()
                && !acknowledgedIds.contains(id(id.get().writer(), id.get().seq()))) {
              unackedPresent++;
            }
          }
        }
      }
      long unacked = failures.values().stream().mapToLong(AtomicLong::get).sum();
      String unackedDetail =
          failures.entrySet().stream()
                  .map(e -> e.getKey().name().toLowerCase().replace('_', ' ') + " " + e.getValue())
                  .collect(Collectors.joining(", "))
              + "; "
              + unackedPresent
              + " of them committed after all";
      monitor.decreases().forEach(d -> detail("high watermark went down: " + d));
      return new Result(
          seed,
          acks.size(),
          unacked,
          unackedDetail,
          lost,
          diverged,
          corrupt,
          monitor.decreases().size(),
          liveness,
          nemesis.injected(),
          nemesis.log(),
          List.copyOf(details));
    }

    /** Whether node {@code node}'s replica is held to offset {@code offset}. */
    private static boolean checked(ReplicaLogs logs, int node, long offset, Set<Integer> absent) {
      return !absent.contains(node) || offset < logs.logs().get(node).highWatermark();
    }

    /** Why an acknowledged record is not intact on every replica, if it is not. */
    private static Optional<String> checkAcknowledged(ReplicaLogs logs, Ack a, Set<Integer> absent)
        throws IOException {
      byte[] expected = CheckerValues.value(a.writer(), a.seq(), a.length());
      List<String> problems = new ArrayList<>();
      for (int node : logs.logs().keySet()) {
        if (!checked(logs, node, a.offset(), absent)) {
          continue;
        }
        Optional<byte[]> v = logs.value(node, a.offset());
        if (v.isEmpty()) {
          problems.add(
              "node "
                  + node
                  + " lacks it (log "
                  + logs.logs().get(node).logStartOffset()
                  + ".."
                  + logs.logs().get(node).logEndOffset()
                  + ")");
        } else if (!java.util.Arrays.equals(expected, v.get())) {
          problems.add("node " + node + " holds " + CheckerValues.describe(v.get()));
        }
      }
      for (int node : logs.missing()) {
        problems.add("node " + node + " has no replica directory");
      }
      if (problems.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(
          "acknowledged "
              + logs.partitionName()
              + " offset "
              + a.offset()
              + " (writer "
              + a.writer()
              + " seq "
              + a.seq()
              + ", "
              + a.length()
              + " bytes): "
              + String.join("; ", problems));
    }

    private void detail(String line) {
      int n = detailCount++;
      if (n < DETAILS) {
        details.add(line);
      }
      if (n < PRINTED_DETAILS) {
        System.out.println("durability checker: " + line);
      } else if (n == PRINTED_DETAILS) {
        System.out.println("durability checker: (further problems are only counted)");
      }
    }

    private static long id(int writer, long seq) {
      return ((long) writer << 48) | seq;
    }
  }
}
