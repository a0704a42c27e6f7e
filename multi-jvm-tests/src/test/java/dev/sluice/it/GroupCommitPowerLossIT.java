package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.ForceJournal;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Group commit keeps {@code flush = every-batch}'s promise through a power loss of every node at
 * once: an {@code acks=all} answer means the record was forced on every in-sync replica, however
 * many appends shared that force.
 *
 * <p>Three node JVMs run with {@link ForceJournal} on and every force slowed by {@value
 * #FORCE_DELAY_MS} ms, so appends from {@value #WRITERS} concurrent writers pile up into groups
 * behind each force and followers report while forces are in flight. Once {@value
 * #ACKS_BEFORE_KILL} records were acknowledged, every node is killed with {@code kill -9} while the
 * writers go on. {@code kill -9} alone loses nothing (the page cache outlives the process), so the
 * test then does what the power loss would have done: every segment file is cut back to how far its
 * last completed force reached, plus a random part of the unforced rest (a torn write; the seed is
 * printed).
 *
 * <p>Checked on a copy of the cut data directories, before any node starts: every acknowledged
 * record is intact on every replica that was in sync when it was acknowledged. That is all three
 * when no leader shrank an in-sync set before the kill (its metric says so; the lag bound is far
 * above the run, so none does), otherwise at least {@code min-in-sync-replicas = 2}. An
 * acknowledgement given before its force, the leader's or a follower's that reported an unforced
 * position, shows up here. Then the nodes start on the cut directories, the cluster must converge,
 * and every acknowledged record must be intact on all three replicas, which must be byte-identical
 * below the high watermark.
 */
class GroupCommitPowerLossIT {
  private static final String TOPIC = "power";
  private static final int PARTITIONS = 3;
  private static final int WRITERS = 8;
  private static final int MIN_IN_SYNC = 2;
  static final int FORCE_DELAY_MS = 20;
  static final int ACKS_BEFORE_KILL = 1500;
  private static final Duration WRITE_DEADLINE = Duration.ofMinutes(3);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
  private final AtomicLong unacknowledged = new AtomicLong();
  private volatile boolean writing = true;

  private record Ack(int partition, long offset, int writer, long seq, int length) {}

  @Test
  void acknowledgedRecordsSurviveAPowerLossOfEveryNode() throws Exception {
    Path dir = Path.of("target", "group-commit-power-loss").toAbsolutePath();
    NodeCluster.deleteTree(dir);
    long seed = new Random().nextLong();
    System.out.println("power loss: torn-write seed " + seed + ", data in " + dir);
    try (NodeCluster cluster =
        NodeCluster.builder(dir)
            .set("sluice.storage.flush", "every-batch")
            .set("sluice.replication.min-in-sync-replicas", Integer.toString(MIN_IN_SYNC))
            .set("sluice.api.request-timeout", "5s")
            .set("sluice.replication.replica-lag-time-max", "5m")
            .jvmOptions(
                "-Xmx256m",
                "-D" + ForceJournal.PROPERTY + "=on",
                "-D" + ForceJournal.DELAY_PROPERTY + "=" + FORCE_DELAY_MS)
            .start()) {
      cluster.createTopic(TOPIC, PARTITIONS, 3, NodeCluster.STARTUP);
      cluster.awaitFullyInSync(TOPIC, NodeCluster.STARTUP);

      List<Thread> writers = startWriters(new ProduceClient(cluster, REQUEST_TIMEOUT));
      Await.until(
          () -> acks.size() >= ACKS_BEFORE_KILL,
          WRITE_DEADLINE,
          ACKS_BEFORE_KILL + " acknowledged records");
      // Every replica stayed in sync (nothing failed, and the lag bound is far above the run), so
      // every acknowledgement needed a force on all three: the check below holds them to that.
      long shrinks = 0;
      for (int node : cluster.nodes()) {
        shrinks += inSyncShrinks(cluster, node);
      }
      cluster.freezeAndKillAll();
      int required = shrinks == 0 ? cluster.size() : MIN_IN_SYNC;
      writing = false;
      for (Thread w : writers) {
        w.join();
      }
      System.out.println(
          "power loss: every node killed with "
              + acks.size()
              + " records acknowledged, "
              + unacknowledged.get()
              + " requests unanswered or refused");

      Random torn = new Random(seed);
      for (int node : cluster.nodes()) {
        for (int p = 0; p < PARTITIONS; p++) {
          cutToForced(cluster.replicaDir(node, TOPIC, p), torn);
        }
      }

      assertEquals(
          List.of(),
          underReplicatedAfterThePowerLoss(cluster, dir.resolve("after-power-loss"), required),
          "acknowledged records held intact by fewer than "
              + required
              + " replicas right after the power loss (in-sync set shrinks before it: "
              + shrinks
              + ")");

      cluster.startAll();
      cluster.awaitConverged(TOPIC, NodeCluster.STARTUP);
      List<String> stopProblems = cluster.stopAll(Duration.ofSeconds(60));
      assertEquals(List.of(), stopProblems);
      List<String> lost = new ArrayList<>();
      long diverged = 0;
      Map<Integer, List<Ack>> byPartition = byPartition();
      for (int p = 0; p < PARTITIONS; p++) {
        try (ReplicaLogs logs = ReplicaLogs.open(cluster, TOPIC, p, cluster.nodes())) {
          assertEquals(
              List.of(), logs.missing(), TOPIC + "-" + p + " replicas without a directory");
          for (Ack a : byPartition.getOrDefault(p, List.of())) {
            int holders = holders(logs, a);
            if (holders < cluster.size()) {
              lost.add(describe(a) + " intact on " + holders + " of " + cluster.size());
            }
          }
          ReplicaLogs.Comparison c = logs.compare();
          diverged += c.divergedOffsets();
          c.firstDifference().ifPresent(d -> System.out.println("power loss: difference " + d));
        }
      }
      assertEquals(
          List.of(), firstOf(lost), "acknowledged records not on every replica after recovery");
      assertEquals(0, diverged, "offsets below the high watermark that differ between replicas");
    }
    NodeCluster.deleteTree(dir);
  }

  private List<Thread> startWriters(ProduceClient client) {
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      int writer = w;
      Thread t = new Thread(() -> write(client, writer), "power-loss-writer-" + w);
      t.start();
      threads.add(t);
    }
    return threads;
  }

  private void write(ProduceClient client, int writer) {
    Random random = new Random(writer);
    for (long seq = 0; writing; seq++) {
      int partition = random.nextInt(PARTITIONS);
      int length = CheckerValues.MIN_LENGTH + random.nextInt(960);
      ProduceClient.Outcome outcome =
          client.produce(
              TOPIC, partition, CheckerValues.value(writer, seq, length), ProduceClient.Acks.ALL);
      if (outcome instanceof ProduceClient.Acked a) {
        acks.add(new Ack(partition, a.offset(), writer, seq, length));
      } else {
        unacknowledged.incrementAndGet();
        if (!writing) {
          return;
        }
      }
    }
  }

  /**
   * What a power loss could leave of the replica in {@code replicaDir}: each segment file cut to
   * its last journalled force plus a random part of the bytes written after it (none of a file that
   * was never forced).
   */
  private static void cutToForced(Path replicaDir, Random torn) throws IOException {
    Map<String, Long> forced = ForceJournal.forcedSizes(replicaDir);
    List<String> cuts = new ArrayList<>();
    try (DirectoryStream<Path> segments = Files.newDirectoryStream(replicaDir, "*.log")) {
      for (Path segment : segments) {
        long size = Files.size(segment);
        long durable = Math.min(size, forced.getOrDefault(segment.getFileName().toString(), 0L));
        long kept = durable + (size == durable ? 0 : torn.nextLong(size - durable + 1));
        if (kept < size) {
          try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.truncate(kept);
          }
          cuts.add(
              segment.getFileName() + " " + size + " -> " + kept + " (forced " + durable + ")");
        }
      }
    }
    System.out.println(
        "power loss: " + replicaDir + ": " + (cuts.isEmpty() ? "nothing unforced" : cuts));
  }

  /**
   * Acknowledged records that fewer than min-in-sync replicas hold intact on a copy of the cut
   * data.
   */
  private List<String> underReplicatedAfterThePowerLoss(
      NodeCluster cluster, Path copies, int required) throws IOException {
    NodeCluster.deleteTree(copies);
    for (int node : cluster.nodes()) {
      cluster.copyDataDir(node, copies.resolve("node-" + node));
    }
    List<String> problems = new ArrayList<>();
    Map<Integer, List<Ack>> byPartition = byPartition();
    for (int p = 0; p < PARTITIONS; p++) {
      Map<Integer, Path> dirs = new TreeMap<>();
      for (int node : cluster.nodes()) {
        Path relative = cluster.dataDir(node).relativize(cluster.replicaDir(node, TOPIC, p));
        dirs.put(node, copies.resolve("node-" + node).resolve(relative));
      }
      try (ReplicaLogs logs = ReplicaLogs.open(TOPIC + "-" + p, dirs, cluster::storageSettings)) {
        for (Ack a : byPartition.getOrDefault(p, List.of())) {
          int holders = holders(logs, a);
          if (holders < required) {
            problems.add(describe(a) + " intact on " + holders);
          }
        }
      }
    }
    assertTrue(!acks.isEmpty(), "nothing was acknowledged: the test proves nothing");
    return firstOf(problems);
  }

  /** The node's {@code sluice_in_sync_shrinks_total}: in-sync sets it shrank as a leader. */
  private static long inSyncShrinks(NodeCluster cluster, int node) throws Exception {
    HttpResponse<String> r =
        cluster
            .http()
            .send(
                cluster.managementRequest(node, "/metrics").timeout(REQUEST_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body()
        .lines()
        .filter(l -> l.startsWith("sluice_in_sync_shrinks_total"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** The first few problems and how many more there were, to keep a failure readable. */
  private static List<String> firstOf(List<String> problems) {
    if (problems.size() <= 10) {
      return problems;
    }
    List<String> shown = new ArrayList<>(problems.subList(0, 10));
    shown.add("... and " + (problems.size() - 10) + " more");
    return shown;
  }

  private Map<Integer, List<Ack>> byPartition() {
    return acks.stream().collect(Collectors.groupingBy(Ack::partition));
  }

  private static int holders(ReplicaLogs logs, Ack a) throws IOException {
    byte[] expected = CheckerValues.value(a.writer(), a.seq(), a.length());
    int holders = 0;
    for (int node : logs.logs().keySet()) {
      if (logs.value(node, a.offset())
          .filter(v -> java.util.Arrays.equals(v, expected))
          .isPresent()) {
        holders++;
      }
    }
    return holders;
  }

  private static String describe(Ack a) {
    return TOPIC
        + "-"
        + a.partition()
        + " offset "
        + a.offset()
        + " (writer "
        + a.writer()
        + " seq "
        + a.seq()
        + ")";
  }
}
