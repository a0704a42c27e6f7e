package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * What the seeded checkers over real processes ({@link DurabilityCheckerIT}, {@link
 * IdempotentProducerCheckerIT}) share: the seeds to run, one dynamic test per seed plus a table of
 * all of them, the run's directory kept only when the seed fails, the quiescence after healing (the
 * liveness verdict), the nodes that never came back, and the verdict lines every checker gives.
 * Each checker keeps only its workload and what it counts.
 *
 * <p>Stateless; the per-seed rows are collected in a synchronized list.
 */
final class Checkers {
  private Checkers() {}

  /** What one seed's run found: a table row, a one-line summary, and why it failed, if it did. */
  interface Verdict {
    String row();

    String summary();

    Optional<String> failures();
  }

  /** One seed's run in {@code dir}. */
  @FunctionalInterface
  interface SeedRun {
    Verdict run(long seed, Path dir) throws Exception;
  }

  /** {@code sluice.checker.seeds} (a range {@code a..b} or a list), else one seed. */
  static List<Long> seeds() {
    String many = System.getProperty("sluice.checker.seeds");
    if (many != null && !many.isBlank()) {
      if (many.contains("..")) {
        String[] ends = many.split("\\.\\.");
        return LongStream.rangeClosed(
                Long.parseLong(ends[0].trim()), Long.parseLong(ends[1].trim()))
            .boxed()
            .toList();
      }
      return Stream.of(many.split(",")).map(s -> Long.parseLong(s.trim())).toList();
    }
    String one = System.getProperty("sluice.checker.seed");
    if (one != null && !one.isBlank()) {
      return List.of(Long.parseLong(one.trim()));
    }
    return List.of((long) new SecureRandom().nextInt(1_000_000));
  }

  /** How long one seed's workload and faults run: {@code sluice.checker.seconds}. */
  static Duration seconds(long defaultSeconds) {
    return Duration.ofSeconds(Long.getLong("sluice.checker.seconds", defaultSeconds));
  }

  /**
   * A test per seed, each in {@code target/<name>/seed-N} (deleted when the seed passes, kept for
   * inspection when it fails), then with more than one seed a test that prints the table of all
   * rows under {@code title} and {@code header}.
   */
  static Stream<DynamicTest> perSeed(String name, String title, String header, SeedRun run) {
    List<Long> seeds = seeds();
    List<String> rows = Collections.synchronizedList(new ArrayList<>());
    Stream<DynamicTest> runs =
        seeds.stream()
            .map(
                seed ->
                    DynamicTest.dynamicTest("seed " + seed, () -> runSeed(name, seed, run, rows)));
    if (seeds.size() == 1) {
      return runs;
    }
    return Stream.concat(
        runs,
        Stream.of(
            DynamicTest.dynamicTest(
                "table of " + seeds.size() + " seeds", () -> printTable(title, header, rows))));
  }

  private static void runSeed(String name, long seed, SeedRun run, List<String> rows)
      throws Exception {
    Path dir = Path.of("target", name, "seed-" + seed).toAbsolutePath();
    NodeCluster.deleteTree(dir);
    Verdict v;
    try {
      v = run.run(seed, dir);
    } catch (Exception | AssertionError e) {
      rows.add(String.format("%10d  run failed: %s", seed, e));
      throw e;
    }
    rows.add(v.row());
    Optional<String> failures = v.failures();
    if (failures.isPresent()) {
      fail(v.summary() + "\n" + failures.get() + "\ndata kept in " + dir);
    }
    NodeCluster.deleteTree(dir);
  }

  private static void printTable(String title, String header, List<String> rows) {
    StringBuilder t = new StringBuilder("\n" + title + "\n").append(header).append('\n');
    synchronized (rows) {
      rows.forEach(r -> t.append(r).append('\n'));
    }
    System.out.println(t);
  }

  /**
   * Waits, after the nemesis healed, until every node is Up and {@code topic} converged (full
   * in-sync sets, equal ends and high watermarks), within {@code quiescence}; empty when it did,
   * else the liveness failure, which also names what the nemesis saw.
   */
  static Optional<String> quiesce(
      String checker, NodeCluster cluster, Nemesis nemesis, String topic, Duration quiescence)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(quiescence);
    try {
      nemesis.noteExits();
      cluster.awaitMembersUp(cluster.nodes(), quiescence);
      TopicState quiet =
          cluster.awaitConverged(topic, Duration.between(Instant.now(), deadline).plusSeconds(1));
      System.out.println(checker + ": quiescent: " + quiet.partitions());
      return Optional.empty();
    } catch (AssertionError e) {
      nemesis.noteExits();
      String why =
          "the cluster did not quiesce within "
              + quiescence.toSeconds()
              + " s after healing: "
              + e.getMessage()
              + nemesis.stoppedBecause().map(s -> "; the nemesis " + s).orElse("")
              + (nemesis.exitedByThemselves().isEmpty()
                  ? ""
                  : "; nodes " + nemesis.exitedByThemselves() + " exited by themselves");
      System.out.println(checker + ": LIVENESS FAILURE: " + why);
      return Optional.of(why);
    }
  }

  /**
   * The nodes not running at the end (they never came back), said in a detail line: their replicas
   * are checked below their own high watermark only, and the liveness verdict reports them.
   */
  static Set<Integer> absentNodes(NodeCluster cluster, Consumer<String> detail) {
    Set<Integer> absent =
        cluster.nodes().stream()
            .filter(n -> !cluster.isRunning(n))
            .collect(Collectors.toCollection(TreeSet::new));
    if (!absent.isEmpty()) {
      detail.accept(
          "nodes "
              + absent
              + " did not come back: their replicas are checked below their own high"
              + " watermark only");
    }
    return absent;
  }

  /**
   * The verdict lines every checker gives, before its own ({@code own}, in order), and the details
   * after them; empty when there is nothing to say.
   */
  static Optional<String> failures(
      long acknowledged,
      long lost,
      long diverged,
      int hwDecreases,
      Optional<String> liveness,
      List<String> own,
      List<String> details) {
    List<String> f = new ArrayList<>();
    if (acknowledged == 0) {
      f.add("no record was acknowledged: the run proves nothing");
    }
    if (lost > 0) {
      f.add(lost + " acknowledged records lost or changed");
    }
    f.addAll(own);
    if (diverged > 0) {
      f.add(diverged + " offsets below the high watermark differ between replicas");
    }
    if (hwDecreases > 0) {
      f.add(hwDecreases + " times a replica's high watermark went down");
    }
    liveness.ifPresent(l -> f.add("liveness: " + l));
    if (f.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        String.join("\n", f) + (details.isEmpty() ? "" : "\n  " + String.join("\n  ", details)));
  }
}
