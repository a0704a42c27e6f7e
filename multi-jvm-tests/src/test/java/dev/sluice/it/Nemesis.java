package dev.sluice.it;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * Injects process faults into a {@link NodeCluster} following a plan drawn from a seed: kill -9 of
 * a partition's leader or of one of its followers (restarted after a while), and SIGSTOP of a
 * leader for longer than the split brain resolver waits (then SIGCONT).
 *
 * <p>The plan (kinds, partitions, gaps, durations) is a pure function of the seed, so a run can be
 * replayed; which node a step hits is resolved when it runs ("the leader of t-1" then), so a replay
 * hits the same roles, usually the same nodes.
 *
 * <p>Rules that keep the faults survivable and the result meaningful:
 *
 * <ul>
 *   <li>A step starts only when the cluster is whole (every node running and seeing every node Up).
 *       With keep-majority, a second node lost while one is out would leave a minority that downs
 *       itself, and the experiment would test the resolver instead of replication.
 *   <li>What the nemesis killed, it restarts; what it paused, it resumes. A node that exits by
 *       itself (the cluster downed it while it was paused) is never restarted: it must come back by
 *       itself. The one exception is exit code {@value NodeJvm#EXIT_HALTED}, a node whose actor
 *       system hung in shutdown after its logs were closed and which halted itself to be started
 *       again: the cluster's supervisor restarts it at once, as systemd would, and the nemesis log
 *       says so. If the cluster is not whole again within {@link #WHOLE_TIMEOUT}, the nemesis stops
 *       injecting and says why; the final quiescence check then reports the liveness bug.
 * </ul>
 *
 * <p>Not thread-safe: one thread runs it; {@link #log} may be read afterwards.
 */
final class Nemesis {
  /**
   * Long enough for a node downed after a pause that then halts itself (after {@code
   * sluice.node.shutdown-hang-timeout = 30s}) to be restarted and to join.
   */
  static final Duration WHOLE_TIMEOUT = Duration.ofSeconds(90);

  /** Pekko's split brain resolver downs an unreachable node after {@code stable-after = 7s}. */
  static final Duration MIN_PAUSE = Duration.ofSeconds(20);

  enum Kind {
    KILL_LEADER("kill -9 the leader"),
    KILL_FOLLOWER("kill -9 a follower"),
    PAUSE_LEADER("SIGSTOP the leader");

    final String description;

    Kind(String description) {
      this.description = description;
    }
  }

  /** One planned fault: wait {@code gapBefore}, then hold the fault for {@code faultFor}. */
  record Step(Kind kind, int partition, Duration gapBefore, Duration faultFor) {
    Duration estimatedCost() {
      // After the fault the node needs a JVM start (or a new incarnation) and a join.
      Duration recovery = Duration.ofSeconds(kind == Kind.PAUSE_LEADER ? 20 : 15);
      return gapBefore.plus(faultFor).plus(recovery);
    }

    @Override
    public String toString() {
      return kind.description
          + " of partition "
          + partition
          + " for "
          + faultFor.toMillis()
          + " ms after "
          + gapBefore.toMillis()
          + " ms";
    }
  }

  /**
   * A plan for about {@code budget}: at least one pause of a leader, one leader kill and one
   * follower kill, then more random steps while they fit, in a seeded random order.
   */
  static List<Step> plan(long seed, Duration budget, int partitions) {
    Random random = new Random(seed);
    List<Step> steps = new ArrayList<>();
    Duration planned = Duration.ZERO;
    for (Kind kind : List.of(Kind.PAUSE_LEADER, Kind.KILL_LEADER, Kind.KILL_FOLLOWER)) {
      Step s = step(kind, random, partitions);
      steps.add(s);
      planned = planned.plus(s.estimatedCost());
    }
    while (true) {
      int pick = random.nextInt(4);
      Kind kind = pick < 2 ? Kind.KILL_LEADER : pick == 2 ? Kind.KILL_FOLLOWER : Kind.PAUSE_LEADER;
      Step s = step(kind, random, partitions);
      if (planned.plus(s.estimatedCost()).compareTo(budget) > 0) {
        break;
      }
      steps.add(s);
      planned = planned.plus(s.estimatedCost());
    }
    Collections.shuffle(steps, random);
    return List.copyOf(steps);
  }

  private static Step step(Kind kind, Random random, int partitions) {
    Duration gap = Duration.ofMillis(1_000 + random.nextInt(4_000));
    Duration fault =
        kind == Kind.PAUSE_LEADER
            ? MIN_PAUSE.plusMillis(random.nextInt(5_000))
            : Duration.ofMillis(2_000 + random.nextInt(10_000));
    return new Step(kind, random.nextInt(partitions), gap, fault);
  }

  private final NodeCluster cluster;
  private final String topic;
  private final List<Step> plan;
  private final Random targets;
  private final Instant start = Instant.now();
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private final Set<Integer> killed = new LinkedHashSet<>();
  private int injected;
  private final Set<Integer> exitedByThemselves = new LinkedHashSet<>();
  private volatile String stoppedBecause;

  Nemesis(NodeCluster cluster, String topic, List<Step> plan, long seed) {
    this.cluster = cluster;
    this.topic = topic;
    this.plan = plan;
    this.targets = new Random(seed * 31 + 7);
    cluster.onSupervisedRestart(what -> note("supervisor: " + what));
  }

  /** Runs the plan; returns when it is done, at {@code deadline}, or when it cannot go on. */
  void run(Instant deadline) throws IOException, InterruptedException {
    for (Step step : plan) {
      if (!awaitWhole()) {
        return;
      }
      if (Instant.now().plus(step.gapBefore()).plus(step.faultFor()).isAfter(deadline)) {
        note("not run (past the deadline): " + step);
        continue;
      }
      hold(step.gapBefore());
      Optional<TopicState.PartitionState> p =
          cluster.describe(topic).map(t -> t.partition(step.partition()));
      if (p.isEmpty() || !p.get().hasLeader()) {
        note("skipped (" + topic + "-" + step.partition() + " has no leader now): " + step);
        continue;
      }
      TopicState.PartitionState partition = p.get();
      int target =
          step.kind() == Kind.KILL_FOLLOWER
              ? partition.followers().get(targets.nextInt(partition.followers().size()))
              : partition.leader();
      String role =
          (step.kind() == Kind.KILL_FOLLOWER ? "follower" : "leader")
              + " of "
              + topic
              + "-"
              + partition.partition()
              + " (epoch "
              + partition.leaderEpoch()
              + ")";
      if (step.kind() == Kind.PAUSE_LEADER) {
        cluster.pause(target);
        injected++;
        note(
            "SIGSTOP node " + target + ", " + role + ", for " + step.faultFor().toMillis() + " ms");
        hold(step.faultFor());
        if (cluster.isRunning(target)) {
          cluster.resume(target);
          note("SIGCONT node " + target);
        } else {
          noteExit(target);
        }
      } else {
        cluster.kill9(target);
        injected++;
        killed.add(target);
        note(
            "kill -9 node " + target + ", " + role + ", for " + step.faultFor().toMillis() + " ms");
        hold(step.faultFor());
        cluster.start(target);
        killed.remove(target);
        note("restart node " + target);
      }
    }
  }

  /** Continues what is paused and restarts what this nemesis killed; never what exited. */
  void heal() throws IOException, InterruptedException {
    for (int node : cluster.nodes()) {
      if (cluster.jvm(node).isPaused()) {
        cluster.resume(node);
        note("heal: SIGCONT node " + node);
      }
    }
    for (int node : List.copyOf(killed)) {
      cluster.start(node);
      killed.remove(node);
      note("heal: restart node " + node);
    }
    noteExits();
  }

  /** Notes every node that exited without being killed or stopped by the test. */
  void noteExits() {
    for (int node : cluster.nodes()) {
      // A halted node is the supervisor's: it is restarted (or the supervisor says why not).
      if (cluster.jvm(node).exitedByItself()
          && cluster.jvm(node).exitCode().orElse(-1) != NodeJvm.EXIT_HALTED) {
        noteExit(node);
      }
    }
  }

  private boolean awaitWhole() throws InterruptedException {
    Instant until = Instant.now().plus(WHOLE_TIMEOUT);
    while (!cluster.isWhole()) {
      noteExits();
      if (Instant.now().isAfter(until)) {
        stoppedBecause =
            "the cluster was not whole again within "
                + WHOLE_TIMEOUT.toSeconds()
                + " s"
                + (exitedByThemselves.isEmpty()
                    ? ""
                    : " (nodes "
                        + exitedByThemselves
                        + " exited by themselves and never returned)");
        note("stopped injecting: " + stoppedBecause);
        return false;
      }
      Thread.sleep(250); // polling interval of a condition wait
    }
    return true;
  }

  private void noteExit(int node) {
    if (exitedByThemselves.add(node)) {
      note(
          "node "
              + node
              + " exited by itself with "
              + cluster.jvm(node).exitCode().orElse(-1)
              + " (downed by the cluster?): not restarted, it must rejoin by itself");
    }
  }

  /** A fault's duration is part of the experiment, not a wait for a condition. */
  private static void hold(Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }

  private void note(String what) {
    String line =
        String.format(
            "+%.1fs %s", Duration.between(start, Instant.now()).toMillis() / 1000.0, what);
    log.add(line);
    System.out.println("[nemesis] " + line);
  }

  List<String> log() {
    synchronized (log) {
      return List.copyOf(log);
    }
  }

  /** How many faults (kills and pauses) were injected. */
  int injected() {
    return injected;
  }

  /** Why the nemesis stopped before the end of its plan, if it did. */
  Optional<String> stoppedBecause() {
    return Optional.ofNullable(stoppedBecause);
  }

  /** Nodes that exited without being killed or stopped by the test. */
  Set<Integer> exitedByThemselves() {
    return Set.copyOf(exitedByThemselves);
  }
}
