package dev.sluice.it;

import dev.sluice.api.Acks;
import dev.sluice.api.ProduceRecord;
import dev.sluice.client.RecordMetadata;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClientException;
import dev.sluice.client.SluiceProducer;
import dev.sluice.format.BatchHeader;
import dev.sluice.format.Record;
import dev.sluice.format.RecordReader;
import dev.sluice.log.PartitionLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The idempotence checker: three node JVMs, idempotent {@link SluiceProducer}s writing to several
 * partitions under the seeded {@link Nemesis} of {@link DurabilityCheckerIT}, then a check of every
 * replica's log read straight from disk that each record a producer sent is there at most once.
 *
 * <p><b>Set-up.</b> {@code min-in-sync-replicas = 2}, topic {@value #TOPIC} with {@value
 * #PARTITIONS} partitions x RF 3. {@value #PRODUCERS} producers, each with a client of its own
 * bootstrapped at a different node (requests follow 307 to the leader), {@code acks=all}, small
 * batches ({@value #BATCH_BYTES} bytes, 2 ms linger), a seeded max in flight of 2 to 5 and a
 * delivery timeout of {@link #DELIVERY_TIMEOUT}, long enough to ride through a leader's pause and
 * its replacement. Each producer sends records with values unique and reproducible from (producer,
 * sequence, length) ({@link CheckerValues}) to random partitions, at most {@value #OUTSTANDING}
 * records unanswered at a time and about {@value #RECORDS_PER_SECOND} records a second. Every
 * send's outcome is kept: acknowledged (with its offset) or failed (with the reason). Lost answers
 * come from the faults themselves: a leader killed or paused after it wrote a batch but before its
 * answer arrived leaves the producer retrying a batch that may be in the log, which is the case
 * idempotence exists for.
 *
 * <p><b>Verdict.</b> After the plan the producers stop sending, the nemesis heals, the cluster must
 * quiesce (every node Up, full in-sync sets, equal log end and high watermark on every replica),
 * every producer must then get a new record acknowledged on every partition (liveness), and the
 * nodes stop. Every replica is read batch by batch from disk ({@link ReplicaLogs}):
 *
 * <ul>
 *   <li><b>lost</b>: acknowledged records a replica lacks or holds with other bytes at the
 *       acknowledged offset;
 *   <li><b>duplicated</b>: extra copies of a (producer, sequence) record in one replica's log,
 *       acknowledged or not (the idempotence claim: a record sent once is written at most once,
 *       whatever happened to its requests), and extra copies of a batch's (producer id, base
 *       sequence);
 *   <li><b>out of order</b>: within one partition, a producer's records (those present) not in the
 *       order they were sent;
 *   <li><b>diverged</b>: offsets below the high watermark where the replicas differ;
 *   <li><b>corrupt</b>: records that are not exactly what some producer sent.
 * </ul>
 *
 * Counted and printed, not failed on: acknowledged and failed sends (failures by reason), batches
 * the leader answered as duplicates (the producers' {@link SluiceProducer.BatchReport#duplicate}),
 * and producer sessions restarted (producer ids in the logs beyond one per producer: a session ends
 * when a leader refuses a batch's sequence with 409). A node the cluster downed and that never came
 * back is checked only below its own high watermark, as in {@link DurabilityCheckerIT}.
 *
 * <p><b>Running.</b> One seed, random unless given, always printed:
 *
 * <pre>
 * mvn -B -pl multi-jvm-tests -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=IdempotentProducerCheckerIT [-Dsluice.checker.seed=N | -Dsluice.checker.seeds=1..3]
 *     [-Dsluice.checker.seconds=S]
 * </pre>
 *
 * {@code -Dsluice.checker.idempotence=false} runs the same workload with non-idempotent producers,
 * to see the checker fail: their retries after lost answers write records twice. Each run prints
 * one line starting with {@code IDEMPOTENCE}; data stays in {@code
 * multi-jvm-tests/target/idempotence-checker/seed-N} when a run fails.
 *
 * <p>Thread-safety: the outcome collections are concurrent (futures complete on the producers'
 * sender threads); the verdict is computed on the test thread after every producer closed.
 */
class IdempotentProducerCheckerIT {
  static final String TOPIC = "once";
  static final int PARTITIONS = 3;
  static final int PRODUCERS = 3;
  static final long DEFAULT_SECONDS = 60;
  private static final int BATCH_BYTES = 2048;
  private static final int OUTSTANDING = 200;
  private static final int RECORDS_PER_SECOND = 400;
  private static final int AFTER_HEAL_PER_PARTITION = 10;
  private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration QUIESCENCE = Duration.ofSeconds(60);
  private static final Duration AFTER_HEAL = Duration.ofSeconds(60);
  private static final Duration MONITOR_INTERVAL = Duration.ofMillis(200);
  private static final int DETAILS = 10;
  private static final int PRINTED_DETAILS = 100;
  private static final int FAILURE_SAMPLES = 12;

  @TestFactory
  Stream<DynamicTest> eachRecordIsWrittenAtMostOnceAcrossKillsAndPauses() {
    Duration seconds = Checkers.seconds(DEFAULT_SECONDS);
    boolean idempotence =
        Boolean.parseBoolean(System.getProperty("sluice.checker.idempotence", "true"));
    return Checkers.perSeed(
        "idempotence-checker",
        "IDEMPOTENCE TABLE",
        String.format(
            "%10s %7s %6s %5s %5s %5s %5s %5s %5s %5s %-8s %s",
            "seed",
            "acked",
            "failed",
            "lost",
            "dup",
            "order",
            "div",
            "corr",
            "srvdp",
            "sess",
            "liveness",
            "faults"),
        (seed, dir) -> new Run(seed, seconds, idempotence, dir).execute());
  }

  /** What one seed's run found. */
  record Result(
      long seed,
      boolean idempotence,
      long acknowledged,
      long failed,
      Map<String, Long> failedByReason,
      long lost,
      long duplicated,
      long outOfOrder,
      long diverged,
      long corrupt,
      long serverDuplicates,
      long sessionsRestarted,
      long unacknowledgedPresent,
      int hwDecreases,
      Optional<String> liveness,
      int faultsInjected,
      List<String> faults,
      List<String> details)
      implements Checkers.Verdict {

    @Override
    public String row() {
      return String.format(
          "%10d %7d %6d %5d %5d %5d %5d %5d %5d %5d %-8s %d",
          seed,
          acknowledged,
          failed,
          lost,
          duplicated,
          outOfOrder,
          diverged,
          corrupt,
          serverDuplicates,
          sessionsRestarted,
          liveness.isEmpty() ? "ok" : "FAILED",
          faultsInjected);
    }

    @Override
    public String summary() {
      return "IDEMPOTENCE seed="
          + seed
          + (idempotence ? "" : " (producers NOT idempotent)")
          + " acknowledged="
          + acknowledged
          + " failed="
          + failed
          + " "
          + failedByReason
          + " (of which committed after all: "
          + unacknowledgedPresent
          + ") lost="
          + lost
          + " duplicated="
          + duplicated
          + " outOfOrder="
          + outOfOrder
          + " diverged="
          + diverged
          + " corrupt="
          + corrupt
          + " serverDuplicates="
          + serverDuplicates
          + " sessionsRestarted="
          + sessionsRestarted
          + " hwDecreases="
          + hwDecreases
          + " liveness="
          + (liveness.isEmpty() ? "ok" : "FAILED")
          + " faults="
          + faults;
    }

    @Override
    public Optional<String> failures() {
      List<String> own = new ArrayList<>();
      if (duplicated > 0) {
        own.add(duplicated + " extra copies of records or batches a producer sent once");
      }
      if (outOfOrder > 0) {
        own.add(outOfOrder + " records of a producer behind a later one of its own");
      }
      if (corrupt > 0) {
        own.add(corrupt + " records are not what any producer sent");
      }
      return Checkers.failures(acknowledged, lost, diverged, hwDecreases, liveness, own, details);
    }
  }

  /** One acknowledged record. */
  private record Ack(int partition, long offset, int producer, long seq, int length) {}

  /** One seed: a fresh cluster, the producers, the faults and the verdict. */
  private static final class Run {
    private final long seed;
    private final Duration seconds;
    private final boolean idempotence;
    private final Path dir;
    private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
    private final AtomicLong serverDuplicates = new AtomicLong();
    private final List<String> details = Collections.synchronizedList(new ArrayList<>());
    private final List<Semaphore> outstanding = new ArrayList<>();
    private final Set<String> failureSamples = new java.util.LinkedHashSet<>();
    private volatile boolean writing = true;
    private int detailCount;

    Run(long seed, Duration seconds, boolean idempotence, Path dir) {
      this.seed = seed;
      this.seconds = seconds;
      this.idempotence = idempotence;
      this.dir = dir;
      for (int p = 0; p < PRODUCERS; p++) {
        outstanding.add(new Semaphore(OUTSTANDING));
      }
    }

    Result execute() throws Exception {
      System.out.println(
          "idempotence checker: seed "
              + seed
              + ", plan of "
              + seconds.toSeconds()
              + " s, "
              + (idempotence ? "idempotent" : "NON-idempotent")
              + " producers, data in "
              + dir
              + " (replay: -Dsluice.checker.seed="
              + seed
              + " -Dsluice.checker.seconds="
              + seconds.toSeconds()
              + ")");
      List<Nemesis.Step> plan = Nemesis.plan(seed, seconds, PARTITIONS);
      System.out.println("idempotence checker: plan " + plan);
      try (NodeCluster cluster =
          NodeCluster.builder(dir)
              .set("sluice.replication.min-in-sync-replicas", "2")
              .set("sluice.replication.replica-lag-time-max", "10s")
              .set("sluice.api.request-timeout", "5s")
              .start()) {
        cluster.createTopic(TOPIC, PARTITIONS, 3, NodeCluster.STARTUP);
        Nemesis nemesis = new Nemesis(cluster, TOPIC, plan, seed);
        Optional<String> liveness;
        HighWatermarkMonitor monitor = new HighWatermarkMonitor(cluster, MONITOR_INTERVAL).start();
        Map<Integer, Long> nextSeq = new ConcurrentHashMap<>();
        List<SluiceProducer> producers = new ArrayList<>();
        try {
          Random settings = new Random(seed * 31 + 7);
          for (int p = 0; p < PRODUCERS; p++) {
            producers.add(producer(cluster, p, 2 + settings.nextInt(4)));
          }
          List<Thread> writers = new ArrayList<>();
          for (int p = 0; p < PRODUCERS; p++) {
            int producer = p;
            Thread t =
                new Thread(
                    () -> nextSeq.put(producer, write(producers.get(producer), producer)),
                    "once-writer-" + p);
            t.start();
            writers.add(t);
          }
          nemesis.run(Instant.now().plus(seconds).plusSeconds(30));
          writing = false;
          for (Thread w : writers) {
            w.join();
          }
          nemesis.heal();
          liveness = Checkers.quiesce("idempotence checker", cluster, nemesis, TOPIC, QUIESCENCE);
          if (liveness.isEmpty()) {
            liveness = afterHeal(producers, nextSeq);
          }
        } finally {
          for (SluiceProducer p : producers) {
            p.close();
          }
          monitor.close();
        }
        System.out.println("idempotence checker: " + monitor.summary());
        monitor.shapeProblem().ifPresent(p -> details.add("high watermark monitor: " + p));
        Set<Integer> absent = Checkers.absentNodes(cluster, this::detail);
        cluster.stopAll(Duration.ofSeconds(60)).forEach(p -> detail("stop: " + p));
        Result result = verify(cluster, nemesis, monitor, liveness, absent);
        System.out.println(result.summary());
        return result;
      }
    }

    private SluiceProducer producer(NodeCluster cluster, int p, int maxInFlight) {
      ItSecurity security = cluster.security();
      SluiceClient.Builder b =
          SluiceClient.builder(cluster.api(cluster.nodes().get(p % cluster.size())))
              .requestTimeout(REQUEST_TIMEOUT);
      if (security.isSecure()) {
        b.sslContext(security.trustContext()).token(security.adminToken());
      }
      System.out.println("idempotence checker: producer " + p + " max in flight " + maxInFlight);
      return SluiceProducer.builder(b.build())
          .acks(Acks.ALL)
          .batchBytes(BATCH_BYTES)
          .linger(Duration.ofMillis(2))
          .maxInFlight(maxInFlight)
          .deliveryTimeout(DELIVERY_TIMEOUT)
          .retryBackoff(Duration.ofMillis(50), Duration.ofSeconds(1))
          .senderThreads(4)
          .idempotence(idempotence)
          .batchListener(
              r -> {
                if (r.duplicate()) {
                  serverDuplicates.incrementAndGet();
                }
              })
          .build();
    }

    /** Sends until {@link #writing} ends; returns the producer's next sequence. */
    private long write(SluiceProducer producer, int p) {
      Random random = new Random(seed * 1_000_003 + p);
      long seq = 0;
      long intervalNanos = TimeUnit.SECONDS.toNanos(1) / RECORDS_PER_SECOND;
      long next = System.nanoTime();
      try {
        while (writing) {
          if (!outstanding.get(p).tryAcquire(100, TimeUnit.MILLISECONDS)) {
            continue;
          }
          send(producer, p, seq++, random.nextInt(PARTITIONS), random);
          // The workload's pace: a steady stream the two cores can replicate, not a flood that
          // would turn CPU starvation into failovers the plan did not ask for.
          next = Math.max(next + intervalNanos, System.nanoTime() - intervalNanos);
          long wait = next - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return seq;
    }

    private CompletableFuture<RecordMetadata> send(
        SluiceProducer producer, int p, long seq, int partition, Random random) {
      int length = CheckerValues.MIN_LENGTH + random.nextInt(300);
      byte[] value = CheckerValues.value(p, seq, length);
      CompletableFuture<RecordMetadata> f =
          producer.send(TOPIC, partition, new ProduceRecord(null, value));
      f.whenComplete(
          (m, e) -> {
            outstanding.get(p).release();
            if (e == null) {
              acks.add(new Ack(partition, m.offset(), p, seq, length));
            } else {
              failures.computeIfAbsent(reason(e), k -> new AtomicLong()).incrementAndGet();
              sampleFailure(p, e);
            }
          });
      return f;
    }

    /**
     * Prints the first failure message of each shape (numbers aside), so that a run with many
     * failed sends says why.
     */
    private void sampleFailure(int p, Throwable e) {
      Throwable t =
          e.getCause() != null && !(e instanceof SluiceClientException) ? e.getCause() : e;
      String message = String.valueOf(t.getMessage()).replace('\n', ' ');
      String shape = message.replaceAll("[0-9]+", "N");
      synchronized (failureSamples) {
        if (failureSamples.size() < FAILURE_SAMPLES && failureSamples.add(shape)) {
          System.out.println(
              "idempotence checker: producer "
                  + p
                  + " send failed: "
                  + (message.length() > 1000 ? message.substring(0, 1000) + "..." : message));
        }
      }
    }

    /** A failure's kind: the HTTP status and the error code, or the exception's class. */
    private static String reason(Throwable e) {
      Throwable t =
          e instanceof java.util.concurrent.CompletionException && e.getCause() != null
              ? e.getCause()
              : e;
      if (t instanceof SluiceClientException s) {
        String code =
            s.error()
                .map(b -> b.details() == null ? null : b.details().get("code"))
                .map(c -> " " + c)
                .orElse("");
        if (String.valueOf(s.getMessage()).contains("delivery timeout")) {
          return "delivery timeout";
        }
        return s.status() == SluiceClientException.NO_STATUS
            ? "no HTTP status"
            : s.status() == SluiceClientException.BAD_ANSWER ? "bad answer" : s.status() + code;
      }
      return t.getClass().getSimpleName();
    }

    /**
     * After the heal, progress: every producer must get a new record acknowledged on every
     * partition within {@link #AFTER_HEAL}. It sends in rounds of {@value
     * #AFTER_HEAL_PER_PARTITION} records to each partition it has no acknowledgement on yet, since
     * a send may still fail after the heal: a batch refused as out of sequence (409) ends that
     * producer session on the partition and fails its outstanding batches; the new session then
     * goes on. Those failures are printed and counted with the others.
     */
    private Optional<String> afterHeal(List<SluiceProducer> producers, Map<Integer, Long> nextSeq)
        throws InterruptedException {
      Instant deadline = Instant.now().plus(AFTER_HEAL);
      Map<String, String> waiting = new TreeMap<>();
      Set<String> done = new HashSet<>();
      long[] seqs = new long[PRODUCERS];
      Random[] randoms = new Random[PRODUCERS];
      for (int p = 0; p < PRODUCERS; p++) {
        seqs[p] = nextSeq.getOrDefault(p, 0L);
        randoms[p] = new Random(seed * 7_000_003 + p);
      }
      int rounds = 0;
      while (done.size() < PRODUCERS * PARTITIONS && Instant.now().isBefore(deadline)) {
        rounds++;
        List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
        List<String> where = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
          for (int partition = 0; partition < PARTITIONS; partition++) {
            String key = "producer " + p + " partition " + partition;
            if (done.contains(key)) {
              continue;
            }
            for (int i = 0; i < AFTER_HEAL_PER_PARTITION; i++) {
              outstanding.get(p).acquire();
              sent.add(send(producers.get(p), p, seqs[p]++, partition, randoms[p]));
              where.add(key);
            }
          }
        }
        for (int i = 0; i < sent.size(); i++) {
          long left = Math.max(1, Duration.between(Instant.now(), deadline).toMillis());
          try {
            sent.get(i).get(left, TimeUnit.MILLISECONDS);
            done.add(where.get(i));
            waiting.remove(where.get(i));
          } catch (java.util.concurrent.ExecutionException e) {
            if (!done.contains(where.get(i))) {
              waiting.put(where.get(i), reason(e.getCause()));
            }
          } catch (java.util.concurrent.TimeoutException e) {
            if (!done.contains(where.get(i))) {
              waiting.put(where.get(i), "not answered");
            }
          }
        }
        if (!waiting.isEmpty()) {
          System.out.println(
              "idempotence checker: after the heal, round " + rounds + " failed for " + waiting);
        }
      }
      if (done.size() == PRODUCERS * PARTITIONS) {
        System.out.println(
            "idempotence checker: every producer wrote to every partition after the heal ("
                + rounds
                + (rounds == 1 ? " round)" : " rounds)"));
        return Optional.empty();
      }
      String why =
          "after the heal, no record acknowledged within "
              + AFTER_HEAL.toSeconds()
              + " s for "
              + waiting;
      System.out.println("idempotence checker: LIVENESS FAILURE: " + why);
      return Optional.of(why);
    }

    /** What the scan of all replicas of all partitions found. */
    private static final class Scan {
      long duplicated;
      long outOfOrder;
      long corrupt;
      final Map<Integer, Set<Long>> producerIds = new HashMap<>();
      final Set<Long> present = new HashSet<>();
    }

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
      acks.forEach(a -> acknowledgedIds.add(id(a.producer(), a.seq())));
      long lost = 0;
      long diverged = 0;
      Scan scan = new Scan();
      for (int p = 0; p < PARTITIONS; p++) {
        try (ReplicaLogs logs = ReplicaLogs.open(cluster, TOPIC, p, cluster.nodes())) {
          for (int node : logs.missing()) {
            detail(logs.partitionName() + ": node " + node + " has no replica directory");
          }
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
          for (Map.Entry<Integer, PartitionLog> e : logs.logs().entrySet()) {
            long end =
                absent.contains(e.getKey())
                    ? e.getValue().highWatermark()
                    : e.getValue().logEndOffset();
            scanReplica(logs.partitionName(), e.getKey(), e.getValue(), end, scan);
          }
        }
      }
      long unackedPresent = scan.present.stream().filter(i -> !acknowledgedIds.contains(i)).count();
      long sessionsRestarted =
          scan.producerIds.values().stream().mapToLong(s -> Math.max(0, s.size() - 1)).sum();
      Map<String, Long> byReason = new TreeMap<>();
      failures.forEach((k, v) -> byReason.put(k, v.get()));
      long failed = byReason.values().stream().mapToLong(Long::longValue).sum();
      monitor.decreases().forEach(d -> detail("high watermark went down: " + d));
      return new Result(
          seed,
          idempotence,
          acks.size(),
          failed,
          byReason,
          lost,
          scan.duplicated,
          scan.outOfOrder,
          diverged,
          scan.corrupt,
          serverDuplicates.get(),
          sessionsRestarted,
          unackedPresent,
          monitor.decreases().size(),
          liveness,
          nemesis.injected(),
          nemesis.log(),
          List.copyOf(details));
    }

    /**
     * Reads one replica batch by batch below {@code end}: counts extra copies of (producer,
     * sequence) records and of (producer id, base sequence) batches, a producer's records behind a
     * later one of its own, and records no producer sent; notes each producer's producer ids.
     */
    private void scanReplica(String partition, int node, PartitionLog log, long end, Scan scan)
        throws IOException {
      String replica = partition + " on node " + node;
      Map<Long, Long> firstOffset = new HashMap<>();
      Map<String, Long> batches = new HashMap<>();
      Map<Integer, long[]> last = new HashMap<>();
      long offset = log.logStartOffset();
      while (offset < end) {
        long at = offset;
        ReplicaLogs.Batch batch =
            ReplicaLogs.Batch.containing(log, offset)
                .orElseThrow(() -> new AssertionError(replica + ": no batch at offset " + at));
        ByteBuffer bytes = ByteBuffer.wrap(batch.bytes());
        BatchHeader header = BatchHeader.decode(bytes.duplicate());
        if (header.producerId() >= 0) {
          String key = header.producerId() + "/" + header.baseSequence();
          Long earlier = batches.putIfAbsent(key, batch.baseOffset());
          if (earlier != null) {
            scan.duplicated++;
            detail(
                replica
                    + ": batch of producer id "
                    + header.producerId()
                    + " base sequence "
                    + header.baseSequence()
                    + " at offset "
                    + batch.baseOffset()
                    + " repeats the one at offset "
                    + earlier);
          }
        }
        List<Record> records;
        try (RecordReader reader =
            RecordReader.of(bytes.duplicate(), replica, batch.baseOffset())) {
          records = reader.readAll();
        }
        for (int i = 0; i < records.size(); i++) {
          long recordOffset = batch.baseOffset() + i;
          if (recordOffset >= end) {
            break;
          }
          byte[] value = records.get(i).value();
          Optional<CheckerValues.Id> id = CheckerValues.identify(value);
          if (id.isEmpty() || !CheckerValues.intact(value)) {
            scan.corrupt++;
            detail(replica + " offset " + recordOffset + " holds " + CheckerValues.describe(value));
            continue;
          }
          int producer = id.get().writer();
          long seq = id.get().seq();
          long key = id(producer, seq);
          scan.present.add(key);
          if (header.producerId() >= 0) {
            scan.producerIds
                .computeIfAbsent(producer, k -> new HashSet<>())
                .add(header.producerId());
          }
          Long first = firstOffset.putIfAbsent(key, recordOffset);
          if (first != null) {
            scan.duplicated++;
            detail(
                replica
                    + ": "
                    + id.get()
                    + " at offset "
                    + recordOffset
                    + " (producer id "
                    + header.producerId()
                    + ", batch "
                    + batch.baseOffset()
                    + ".."
                    + batch.lastOffset()
                    + ") is already at offset "
                    + first);
            continue;
          }
          long[] previous = last.get(producer);
          if (previous != null && seq < previous[0]) {
            scan.outOfOrder++;
            detail(
                replica
                    + ": "
                    + id.get()
                    + " at offset "
                    + recordOffset
                    + " follows seq "
                    + previous[0]
                    + " of the same producer at offset "
                    + previous[1]);
          } else {
            last.put(producer, new long[] {seq, recordOffset});
          }
        }
        offset = batch.lastOffset() + 1;
      }
    }

    private static boolean checked(ReplicaLogs logs, int node, long offset, Set<Integer> absent) {
      return !absent.contains(node) || offset < logs.logs().get(node).highWatermark();
    }

    /** Why an acknowledged record is not intact on every replica, if it is not. */
    private static Optional<String> checkAcknowledged(ReplicaLogs logs, Ack a, Set<Integer> absent)
        throws IOException {
      byte[] expected = CheckerValues.value(a.producer(), a.seq(), a.length());
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
        } else if (!Arrays.equals(expected, v.get())) {
          problems.add("node " + node + " holds " + CheckerValues.describe(v.get()));
        }
      }
      if (problems.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(
          "acknowledged "
              + logs.partitionName()
              + " offset "
              + a.offset()
              + " (producer "
              + a.producer()
              + " seq "
              + a.seq()
              + ", "
              + a.length()
              + " bytes): "
              + String.join("; ", problems));
    }

    private synchronized void detail(String line) {
      int n = detailCount++;
      if (n < DETAILS) {
        details.add(line);
      }
      if (n < PRINTED_DETAILS) {
        System.out.println("idempotence checker: " + line);
      } else if (n == PRINTED_DETAILS) {
        System.out.println("idempotence checker: (further problems are only counted)");
      }
    }

    private static long id(int producer, long seq) {
      return ((long) producer << 48) | seq;
    }
  }
}
