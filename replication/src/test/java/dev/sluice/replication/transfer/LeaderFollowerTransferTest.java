package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.*;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.testing.LogFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leader server and follower transfer over real TCP on 127.0.0.1 with real partition logs: the
 * incident of docs/incident.md (batches larger than peer-max-bytes after a follower restart) and
 * cuts in the middle of an oversized batch.
 */
class LeaderFollowerTransferTest {
  private static final int MiB = 1 << 20;
  private static final long LIMIT = MiB;
  private static final PartitionId PID = new PartitionId("orders", 0);
  private static final StorageSettings STORAGE = StorageSettings.of(70L * MiB, 65L * MiB);
  private static final TransferSettings SETTINGS =
      new TransferSettings(
          LIMIT,
          Duration.ofMillis(200),
          Duration.ofSeconds(5),
          Duration.ofSeconds(5),
          new BackoffSettings(Duration.ofMillis(50), Duration.ofMillis(500), 0.1),
          4 * MiB);

  static final ActorTestKit testKit = ActorTestKit.create();

  @TempDir Path tmp;
  private PartitionLog leaderLog;
  private PartitionLog followerLog;
  private LocalLeaderPartition leader;
  private LeaderTransferServer server;
  private FollowerTransfer.Control follower;
  private final ConcurrentLinkedQueue<FollowerEvent> events = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void setUp() throws Exception {
    leaderLog = PartitionLog.open(tmp.resolve("leader"), STORAGE, Clock.systemUTC());
    followerLog = PartitionLog.open(tmp.resolve("follower"), STORAGE, Clock.systemUTC());
    leader = new LocalLeaderPartition(leaderLog, 1);
    server =
        LeaderTransferServer.bind(
                testKit.system(),
                "127.0.0.1",
                0,
                p -> p.equals(PID) ? Optional.of(leader) : Optional.empty(),
                SETTINGS)
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (follower != null) {
      follower.stop();
      follower.stopped().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    server.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
    leaderLog.close();
    followerLog.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void followerCatchesUpBatchesAroundTheLimitByteIdenticallyAndTailsNewAppends() throws Exception {
    for (int i = 0; i < 20; i++) {
      append(1000 + i);
    }
    for (long size : new long[] {MiB - 1, MiB, MiB + 1, 8L * MiB, 64L * MiB}) {
      append(size);
    }
    assertEquals(2, leaderLog.segmentCount(), "the 64 MiB batch rolls a second segment");
    startFollower(new AtomicReference<>());

    awaitFollowerAt(leaderLog.logEndOffset());
    assertSegmentsIdentical();

    // Tailing: appends after the catch-up reach the follower on the same connection.
    append(500);
    append(3L * MiB);
    awaitFollowerAt(leaderLog.logEndOffset());
    assertSegmentsIdentical();
    assertEquals(1, count(FollowerEvent.Connecting.class), "no reconnect was needed");
    assertEquals(
        leaderLog.logEndOffset(),
        (long) leader.followerLogEndOffsets().get(2),
        "progress reported");
  }

  @Test
  void cutsInTheMiddleOfA64MiBBatchResumeFromTheStagedBytes() throws Exception {
    append(1000);
    append(64L * MiB);
    long batchSize = 64L * MiB;
    AtomicInteger cuts = new AtomicInteger();
    AtomicReference<FollowerTransfer.Control> control = new AtomicReference<>();
    events.clear();
    startFollower(
        control,
        e -> {
          if (e instanceof FollowerEvent.ChunkStaged c && c.baseOffset() == 1) {
            long cutAt = (cuts.get() + 1) * 20L * MiB;
            if (cuts.get() < 2 && c.stagedBytes() >= cutAt) {
              cuts.incrementAndGet();
              control.get().dropConnection();
            }
          }
        });

    awaitFollowerAt(2);
    assertSegmentsIdentical();
    assertEquals(2, cuts.get());

    List<FollowerEvent.Connecting> attempts = all(FollowerEvent.Connecting.class);
    assertTrue(attempts.size() >= 3, "reconnected after each cut: " + attempts);
    for (FollowerEvent.Connecting a : attempts.subList(1, attempts.size())) {
      assertEquals(1, a.hello().staged().baseOffset(), "resumes the oversized batch: " + a);
      assertTrue(a.hello().staged().stagedBytes() >= 20L * MiB, "from its staged bytes: " + a);
    }
    List<FollowerEvent.ChunkStaged> chunks =
        all(FollowerEvent.ChunkStaged.class).stream()
            .filter(c -> c.baseOffset() == 1)
            .collect(Collectors.toList());
    long written = chunks.stream().mapToLong(FollowerEvent.ChunkStaged::writtenBytes).sum();
    long received = chunks.stream().mapToLong(c -> c.writtenBytes() + c.skippedBytes()).sum();
    assertEquals(batchSize, written, "every byte staged exactly once");
    long resent = received - written;
    assertTrue(resent < cuts.get() * LIMIT, "resent " + resent + " bytes over " + cuts + " cuts");
  }

  @Test
  void followerRestartThenOversizedBatchCatchesUp() throws Exception {
    // The incident of docs/incident.md, step by step, in one JVM.
    append(2000);
    append(3000);
    startFollower(new AtomicReference<>());
    awaitFollowerAt(2);
    follower.stop();
    follower.stopped().toCompletableFuture().get(5, TimeUnit.SECONDS);
    followerLog.close();
    followerLog = PartitionLog.open(tmp.resolve("follower"), STORAGE, Clock.systemUTC());

    append(5L * MiB + 17); // larger than peer-max-bytes
    startFollower(new AtomicReference<>());
    awaitFollowerAt(3);
    assertSegmentsIdentical();
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(10),
        () -> {
          assertEquals(3, followerLog.highWatermark(), "high watermark from LeaderStatus");
          return null;
        });
  }

  @Test
  void followerProcessRestartInTheMiddleOfAnOversizedBatchResumesFromStagedBytes()
      throws Exception {
    append(32L * MiB);
    AtomicReference<FollowerTransfer.Control> control = new AtomicReference<>();
    java.util.concurrent.CompletableFuture<Long> stoppedAt =
        new java.util.concurrent.CompletableFuture<>();
    startFollower(
        control,
        e -> {
          if (e instanceof FollowerEvent.ChunkStaged c && c.stagedBytes() >= 10L * MiB) {
            if (stoppedAt.complete(c.stagedBytes())) {
              control.get().stop();
            }
          }
        });
    stoppedAt.get(30, TimeUnit.SECONDS);
    follower.stopped().toCompletableFuture().get(5, TimeUnit.SECONDS);
    followerLog.close(); // the follower process "restarts"
    followerLog = PartitionLog.open(tmp.resolve("follower"), STORAGE, Clock.systemUTC());
    assertEquals(0, followerLog.logEndOffset(), "a partial batch is never appended");

    events.clear();
    startFollower(new AtomicReference<>());
    awaitFollowerAt(1);
    assertSegmentsIdentical();
    FollowerEvent.Connecting first = all(FollowerEvent.Connecting.class).get(0);
    assertTrue(
        first.hello().staged().stagedBytes() >= 10L * MiB,
        "the handshake after the restart carries the staged bytes: " + first);
    long written =
        all(FollowerEvent.ChunkStaged.class).stream()
            .mapToLong(FollowerEvent.ChunkStaged::writtenBytes)
            .sum();
    assertEquals(32L * MiB - first.hello().staged().stagedBytes(), written);
  }

  @Test
  void leaderServerRestartOnAnotherPortIsFollowedAfterReconnect() throws Exception {
    append(1000);
    AtomicReference<java.net.InetSocketAddress> address = new AtomicReference<>(server.address());
    FollowerSession session = new FollowerSession(2, PID, followerLog, () -> 1);
    follower =
        FollowerTransfer.start(testKit.system(), session, address::get, SETTINGS, events::add);
    awaitFollowerAt(1);

    server.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS); // drops the connection too
    server =
        LeaderTransferServer.bind(
                testKit.system(),
                "127.0.0.1",
                0,
                p -> p.equals(PID) ? Optional.of(leader) : Optional.empty(),
                SETTINGS)
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    address.set(server.address());
    append(2L * MiB);
    awaitFollowerAt(2);
    assertSegmentsIdentical();
    assertTrue(count(FollowerEvent.Connecting.class) >= 2);
  }

  @Test
  void unknownPartitionIsRejectedAndRetriedWithBackoff() {
    FollowerSession session =
        new FollowerSession(2, new PartitionId("nope", 0), followerLog, () -> 1);
    follower =
        FollowerTransfer.start(testKit.system(), session, server::address, SETTINGS, events::add);
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(10),
        () -> {
          List<FollowerEvent.AttemptFailed> failed = all(FollowerEvent.AttemptFailed.class);
          assertTrue(failed.size() >= 2, "retried: " + failed);
          assertTrue(failed.get(0).error().contains("UNKNOWN_PARTITION"), failed.get(0).error());
          return null;
        });
  }

  @Test
  void corruptFrameFromTheLeaderFailsTheAttemptWithANamedErrorAndReconnects() throws Exception {
    // A fake leader that answers every connection with a frame header of an unknown type.
    var binding =
        org.apache.pekko.stream.javadsl.Tcp.get(testKit.system())
            .bind("127.0.0.1", 0)
            .to(
                org.apache.pekko.stream.javadsl.Sink.foreach(
                    conn ->
                        conn.handleWith(
                            org.apache.pekko.stream.javadsl.Flow.fromSinkAndSource(
                                org.apache.pekko.stream.javadsl.Sink.ignore(),
                                org.apache.pekko.stream.javadsl.Source.single(
                                        org.apache.pekko.util.ByteString.fromArray(
                                            new byte[] {0, 0, 0, 9, 66, 0, 0, 0, 0}))
                                    .concat(org.apache.pekko.stream.javadsl.Source.maybe())),
                            testKit.system())))
            .run(testKit.system())
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    try {
      FollowerSession session = new FollowerSession(2, PID, followerLog, () -> 1);
      follower =
          FollowerTransfer.start(
              testKit.system(), session, binding::localAddress, SETTINGS, events::add);
      TestProbe<Object> probe = testKit.createTestProbe();
      probe.awaitAssert(
          Duration.ofSeconds(10),
          () -> {
            List<FollowerEvent.AttemptFailed> failed = all(FollowerEvent.AttemptFailed.class);
            assertTrue(failed.size() >= 2, "reconnected: " + failed);
            String error = failed.get(0).error();
            assertTrue(error.startsWith("CorruptFrameException"), error);
            assertTrue(
                error.contains("orders-0") && error.contains("unknown frame type 66"), error);
            return null;
          });
      follower.stop();
      follower.stopped().toCompletableFuture().get(5, TimeUnit.SECONDS);
      follower = null;
    } finally {
      binding.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
  }

  private void startFollower(AtomicReference<FollowerTransfer.Control> ref) {
    startFollower(ref, e -> {});
  }

  private void startFollower(
      AtomicReference<FollowerTransfer.Control> ref,
      java.util.function.Consumer<FollowerEvent> also) {
    FollowerSession session = new FollowerSession(2, PID, followerLog, () -> 1);
    follower =
        FollowerTransfer.start(
            testKit.system(),
            session,
            server::address,
            SETTINGS,
            e -> {
              events.add(e);
              also.accept(e);
            });
    ref.set(follower);
  }

  /** Appends a one-record batch of exactly {@code totalSize} bytes, in bounded memory. */
  private void append(long totalSize) throws IOException {
    LogFixtures.appendBatchOfSize(leaderLog, tmp, totalSize);
    leader.changed();
  }

  private void awaitFollowerAt(long offset) {
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(60),
        Duration.ofMillis(50),
        () -> {
          assertEquals(offset, followerLog.logEndOffset(), () -> "events: " + tail());
          return null;
        });
  }

  private String tail() {
    List<FollowerEvent> all = List.copyOf(events);
    return all.subList(Math.max(0, all.size() - 5), all.size()).toString();
  }

  private void assertSegmentsIdentical() throws IOException {
    LogFixtures.assertSegmentsIdentical(leaderLog.dir(), followerLog.dir());
  }

  private static List<Path> segments(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".log")).sorted().collect(Collectors.toList());
    }
  }

  private <T> List<T> all(Class<T> type) {
    return events.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
  }

  private long count(Class<?> type) {
    return events.stream().filter(type::isInstance).count();
  }
}
