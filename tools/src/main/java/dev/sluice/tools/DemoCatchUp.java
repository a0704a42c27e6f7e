package dev.sluice.tools;

import dev.sluice.api.PartitionDescription;
import dev.sluice.api.ReplicaDescription;
import dev.sluice.api.ReplicaState;
import dev.sluice.client.SluiceClientException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Watches a restarted follower catch up with its leader, printing one progress line a second (and
 * on every state change) until the follower is back in the in-sync set at the leader's log end.
 *
 * <p>What it reads: the leader's {@code GET /topics/{t}} every {@link #POLL}: the follower's {@code
 * leo}, {@code state}, {@code lagBytes} (measured by the leader) and {@code lastError}. While the
 * leader does not know the lag yet (the follower has not connected), the bytes behind are the
 * difference of the two replicas' segment files on this machine. Times therefore have the polling
 * resolution, 0.2 s.
 *
 * <p>Two durations come out: from the JVM start to in-sync (what an operator waits for), and from
 * the follower's first status report (JVM up, cluster joined, replica loaded) to in-sync: the
 * transfer itself, which the throughput is computed from.
 */
final class DemoCatchUp {

  static final Duration POLL = Duration.ofMillis(200);
  private static final long PRINT_EVERY_NANOS = Duration.ofSeconds(1).toNanos();
  private static final int BAR_WIDTH = 20;

  /**
   * @param bytes bytes the follower was behind when it restarted
   * @param toReportNanos JVM start to the follower's first status report
   * @param toInSyncNanos JVM start to back in sync at the leader's log end
   * @param launchMillis this process's clock just before it forked the follower's JVM, in epoch
   *     milliseconds (see {@link CatchUpPhases} for why not the process's start instant)
   */
  record Result(long bytes, long toReportNanos, long toInSyncNanos, long launchMillis) {
    long transferNanos() {
      return toInSyncNanos - toReportNanos;
    }

    double transferMibPerSecond() {
      return Sizes.mibPerSecond(bytes, transferNanos());
    }

    String summary() {
      return String.format(
          Locale.ROOT,
          "caught up %s in %.1f s after the restart (JVM start and cluster join %.1f s, transfer"
              + " %.1f s): %.1f MiB/s over the transfer, %.1f MiB/s overall",
          Sizes.format(bytes),
          toInSyncNanos / 1e9,
          toReportNanos / 1e9,
          transferNanos() / 1e9,
          transferMibPerSecond(),
          Sizes.mibPerSecond(bytes, toInSyncNanos));
    }
  }

  private final DemoCluster cluster;
  private final String topic;
  private final int partition;
  private final int leader;
  private final int follower;
  private final long endOffset;
  private final PrintWriter out;

  private long bytes;
  private long startNanos;
  private long reportNanos = -1;
  private long lastPrintNanos;
  private ReplicaState lastState;

  DemoCatchUp(
      DemoCluster cluster,
      String topic,
      int partition,
      int leader,
      int follower,
      long endOffset,
      PrintWriter out) {
    this.cluster = cluster;
    this.topic = topic;
    this.partition = partition;
    this.leader = leader;
    this.follower = follower;
    this.endOffset = endOffset;
    this.out = out;
  }

  /** Bytes the stopped follower misses: the leader's segment bytes minus its own. */
  long bytesBehindOnDisk() {
    try {
      return Math.max(0, onDisk(leader) - onDisk(follower));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Restarts the follower and waits until it is in sync at {@code endOffset}.
   *
   * @param followerLeo the follower's log end offset when it stopped
   * @param extraJavaOpts JVM options for the follower alone
   */
  Result restartAndWatch(long followerLeo, String extraJavaOpts)
      throws IOException, InterruptedException {
    bytes = bytesBehindOnDisk();
    startNanos = System.nanoTime();
    long launchedMillis = System.currentTimeMillis();
    Process process = cluster.restartNode(follower, extraJavaOpts);
    out.printf(
        "    node %d restarted (pid %d); it is %s and %s behind the leader (node %d)%n",
        follower,
        process.pid(),
        plural(endOffset - followerLeo, "record"),
        Sizes.format(bytes),
        leader);
    out.flush();
    long inSync =
        cluster.await(
            "node " + follower + " to catch up to offset " + endOffset + " and be in sync",
            Duration.ofDays(1),
            this::poll);
    if (reportNanos < 0) {
      reportNanos = inSync;
    }
    return new Result(bytes, reportNanos - startNanos, inSync - startNanos, launchedMillis);
  }

  /** One poll: the time it saw the follower in sync at the end, or null to go on. */
  private Long poll() {
    long now = System.nanoTime();
    Optional<PartitionDescription> p;
    try {
      p = cluster.client(leader).describeTopic(topic).partition(partition);
    } catch (SluiceClientException e) {
      line(now, "leader (node " + leader + ") did not answer: " + e.getMessage(), true);
      return null;
    }
    Optional<ReplicaDescription> r = p.flatMap(x -> x.replica(follower));
    if (r.isEmpty()) {
      return null;
    }
    ReplicaDescription replica = r.get();
    boolean reported = replica.state() != ReplicaState.UNKNOWN;
    if (reported && reportNanos < 0) {
      reportNanos = now;
    }
    long behind = replica.lagBytes() >= 0 && reported ? replica.lagBytes() : bytesBehindOnDisk();
    boolean inSync = p.get().inSync().contains(follower) && replica.leo() == endOffset;
    boolean changed = replica.state() != lastState;
    lastState = replica.state();
    if (inSync || changed || now - lastPrintNanos >= PRINT_EVERY_NANOS) {
      line(now, progress(replica, behind, inSync ? 0 : behind, p.get()), false);
    }
    return inSync ? now : null;
  }

  private String progress(ReplicaDescription r, long lag, long behind, PartitionDescription p) {
    long done = Math.max(0, Math.min(bytes, bytes - behind));
    if (r.state() == ReplicaState.UNKNOWN) {
      return String.format(
          Locale.ROOT,
          "[%s] %3d%%  %s behind  node %d not reporting yet (JVM starting, joining the cluster)",
          " ".repeat(BAR_WIDTH),
          0,
          Sizes.format(Math.max(0, lag)),
          follower);
    }
    String leo = r.leo() < 0 ? "?" : String.valueOf(r.leo());
    long offsetsBehind = r.leo() < 0 ? -1 : endOffset - r.leo();
    return String.format(
        Locale.ROOT,
        "%s %3d%%  %s behind, %s  leo %s/%d  state %s%s%s",
        ProgressBar.bar(done, bytes, BAR_WIDTH),
        ProgressBar.percent(done, bytes),
        Sizes.format(Math.max(0, lag)),
        offsetsBehind < 0 ? "offsets ?" : plural(offsetsBehind, "record"),
        leo,
        endOffset,
        r.state(),
        p.inSync().contains(follower) ? "  (in sync)" : "",
        r.lastError().isEmpty() ? "" : "  last error: " + r.lastError());
  }

  private void line(long now, String text, boolean force) {
    if (!force || now - lastPrintNanos >= PRINT_EVERY_NANOS) {
      out.printf(Locale.ROOT, "    %5.1fs %s%n", (now - startNanos) / 1e9, text);
      out.flush();
      lastPrintNanos = now;
    }
  }

  private long onDisk(int node) throws IOException {
    return DemoLogCheck.segmentBytes(partitionDir(cluster, node, topic, partition));
  }

  static Path partitionDir(DemoCluster cluster, int node, String topic, int partition) {
    return cluster.node(node).dataDir().resolve(topic + "-" + partition);
  }

  static String plural(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
