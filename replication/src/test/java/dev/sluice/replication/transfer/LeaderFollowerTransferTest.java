package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.*;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.replication.follower.FollowerReplica;
import dev.sluice.replication.follower.FollowerSetup;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.leader.InSyncState;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.testing.ReplicationHarness;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production leader ({@link ReplicationHarness}) and follower actor over real TCP on 127.0.0.1
 * with real partition logs: the incident of docs/incident.md (batches larger than peer-max-bytes
 * after a follower restart), cuts and a follower stop in the middle of an oversized batch, a moved
 * leader server, and refusals. The attempts' events are tapped on their way to the follower actor.
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
  private ReplicationHarness harness;
  private PartitionLog leaderLog;
  private PartitionLog followerLog;
  private FollowerStatus status;
  private ActorRef<FollowerReplica.Command> follower;

  /** Where the attempts of the follower started last record their events. */
  private volatile ConcurrentLinkedQueue<FollowerEvent> events = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void setUp() throws Exception {
    harness = ReplicationHarness.start(testKit, tmp, STORAGE, SETTINGS, PID);
    harness.lead(1);
    leaderLog = harness.leaderLog(PID);
    followerLog = harness.followerLog(PID);
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
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
    startFollower(e -> {});

    awaitFollowerAt(leaderLog.logEndOffset());
    assertSegmentsIdentical();

    // Tailing: appends after the catch-up reach the follower on the same connection.
    append(500);
    append(3L * MiB);
    awaitFollowerAt(leaderLog.logEndOffset());
    assertSegmentsIdentical();
    assertEquals(1, count(FollowerEvent.Connecting.class), "no reconnect was needed");
    // The leader counted the follower's progress reports: it knows where the follower ends and
    // committed everything.
    long end = leaderLog.logEndOffset();
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(10),
            () -> {
              InSyncState.FollowerPosition p =
                  harness.leader(PID).view().followers().get(ReplicationHarness.FOLLOWER_NODE);
              assertEquals(end, p.logEndOffset(), "progress reported");
              assertEquals(end, leaderLog.highWatermark(), "committed");
              return null;
            });
  }

  @Test
  void cutsInTheMiddleOfA64MiBBatchResumeFromTheStagedBytes() throws Exception {
    append(1000);
    append(64L * MiB);
    long batchSize = 64L * MiB;
    AtomicInteger cuts = new AtomicInteger();
    AtomicReference<ActorRef<FollowerReplica.Command>> self = new AtomicReference<>();
    startFollower(
        self,
        e -> {
          if (e instanceof FollowerEvent.ChunkStaged c && c.baseOffset() == 1) {
            long cutAt = (cuts.get() + 1) * 20L * MiB;
            if (cuts.get() < 2 && c.stagedBytes() >= cutAt) {
              cuts.incrementAndGet();
              self.get().tell(new FollowerReplica.RestartTransfer("test: cut at " + cutAt));
            }
          }
        });

    awaitFollowerAt(2);
    // The last chunk's event passes the tap just after its append made the log end visible.
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(10),
            () -> {
              assertTrue(
                  all(FollowerEvent.ChunkStaged.class).stream()
                      .anyMatch(c -> c.baseOffset() == 1 && c.stagedBytes() == c.totalLength()),
                  "the last chunk's event");
              return null;
            });
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
    // Each event covers the bytes [stagedBytes - writtenBytes, stagedBytes) of the staging file.
    // No two events may cover the same byte. A cut can stop an attempt after chunks were written
    // but before their events left the stream (events follow the force that makes a step durable,
    // and the chunks applied while a force runs wait for the next one): such writes show as gaps,
    // which the next attempt resumed after (it did not write them again). How many chunks one cut
    // leaves unobserved depends on how many were applied during the force in progress, so the
    // gaps are not bounded here; what matters is that no byte is staged twice and every byte is
    // staged.
    List<long[]> writes =
        chunks.stream()
            .filter(c -> c.writtenBytes() > 0)
            .map(c -> new long[] {c.stagedBytes() - c.writtenBytes(), c.stagedBytes()})
            .sorted(java.util.Comparator.comparingLong(w -> w[0]))
            .collect(Collectors.toList());
    long end = 0;
    for (long[] w : writes) {
      assertTrue(
          w[0] >= end, "bytes from " + w[0] + " staged twice (already staged to " + end + ")");
      end = w[1];
    }
    assertEquals(batchSize, end, "every byte of the batch staged");
    long written = chunks.stream().mapToLong(FollowerEvent.ChunkStaged::writtenBytes).sum();
    long received = chunks.stream().mapToLong(c -> c.writtenBytes() + c.skippedBytes()).sum();
    long resent = received - written;
    assertTrue(resent < cuts.get() * LIMIT, "resent " + resent + " bytes over " + cuts + " cuts");
  }

  @Test
  void followerRestartThenOversizedBatchCatchesUp() throws Exception {
    // The incident of docs/incident.md, step by step, in one JVM.
    append(2000);
    append(3000);
    startFollower(e -> {});
    awaitFollowerAt(2);
    harness.stopFollower(follower);
    followerLog = harness.reopenFollowerLog(PID);

    append(5L * MiB + 17); // larger than peer-max-bytes
    startFollower(e -> {});
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
    long total = 32L * MiB;
    append(total);
    CompletableFuture<Long> stoppedAt = new CompletableFuture<>();
    AtomicReference<ActorRef<FollowerReplica.Command>> self = new AtomicReference<>();
    startFollower(
        self,
        e -> {
          if (e instanceof FollowerEvent.ChunkStaged c && c.stagedBytes() >= 10L * MiB) {
            if (stoppedAt.complete(c.stagedBytes())) {
              self.get().tell(new FollowerReplica.Stop());
            }
          }
        });
    stoppedAt.get(30, TimeUnit.SECONDS);
    harness.stopFollower(follower); // waits until it has terminated
    followerLog = harness.reopenFollowerLog(PID); // the follower process "restarts"
    assertEquals(0, followerLog.logEndOffset(), "a partial batch is never appended");
    long held = stagedFileLength();
    assertTrue(held >= stoppedAt.join(), "staged bytes kept over the stop: " + held);

    // The stopped follower's kill switch acts asynchronously: a step its stream had applied and
    // flushed before the session closed may still pass the tap after the actor terminated. The
    // restarted follower's events go to a queue of their own, so such a late event of the stopped
    // one is never counted as a byte the restarted one transferred.
    events = new ConcurrentLinkedQueue<>();
    startFollower(e -> {});
    awaitBatchAppendedEvent(1);
    assertEquals(1, followerLog.logEndOffset());
    assertSegmentsIdentical();
    FollowerEvent.Connecting first = all(FollowerEvent.Connecting.class).get(0);
    Frame.StagedPosition resumed = first.hello().staged();
    assertEquals(0, resumed.baseOffset(), "resumes the oversized batch: " + first);
    assertEquals(total, resumed.totalLength(), "resumes the oversized batch: " + first);
    assertEquals(held, resumed.stagedBytes(), "announces the staged bytes it holds: " + first);

    // Every byte after the announced position is written once, in order, and none before it is
    // sent again: each chunk starts where the staged bytes end and skips nothing. Normally one
    // attempt does it all and reports every byte it wrote. If an attempt ends (under load: an idle
    // timeout) after a chunk was written but before that chunk's event left its stream, the next
    // handshake announces the larger staged length and the chunks continue from there: those
    // bytes were written once, without an event.
    long stagedEnd = -1; // where the staged bytes end, as the events tell
    long written = 0;
    long withoutEvent = 0;
    for (FollowerEvent e : List.copyOf(events)) {
      if (e instanceof FollowerEvent.Connecting c) {
        // A handshake at log end 1 means the batch was appended by an attempt that then ended.
        long announced = c.hello().logEndOffset() == 1 ? total : c.hello().staged().stagedBytes();
        if (stagedEnd >= 0) {
          assertTrue(
              announced >= stagedEnd,
              "a reconnect announced "
                  + announced
                  + " staged bytes, fewer than the "
                  + stagedEnd
                  + " already staged: "
                  + c);
          withoutEvent += announced - stagedEnd;
        }
        stagedEnd = announced;
      } else if (e instanceof FollowerEvent.ChunkStaged c) {
        assertEquals(0, c.skippedBytes(), "nothing before the staged position is sent again: " + c);
        assertEquals(
            stagedEnd,
            c.stagedBytes() - c.writtenBytes(),
            "a chunk continues where the staged bytes end: " + c);
        written += c.writtenBytes();
        stagedEnd = c.stagedBytes();
      }
    }
    assertEquals(
        total - held,
        written + withoutEvent,
        "bytes written after the staged position (" + withoutEvent + " without an event)");
  }

  @Test
  void leaderServerRestartOnAnotherPortIsFollowedAfterReconnect() throws Exception {
    append(1000);
    startFollower(e -> {});
    awaitFollowerAt(1);
    InetSocketAddress before = harness.address();

    harness.rebind(); // drops the connection too
    assertNotEquals(before, harness.address());
    append(2L * MiB);
    awaitFollowerAt(2);
    assertSegmentsIdentical();
    assertTrue(count(FollowerEvent.Connecting.class) >= 2);
  }

  @Test
  void unknownPartitionIsRejectedAndRetriedWithBackoff() {
    status = new FollowerStatus();
    follower =
        harness.startFollower(
            FollowerSetup.of(
                ReplicationHarness.FOLLOWER_NODE,
                new PartitionId("nope", 0),
                followerLog,
                node -> Optional.of(harness.address()),
                ReplicationHarness.LEADER_NODE,
                1,
                SETTINGS,
                status));
    awaitStatus(
        s -> {
          assertTrue(s.attempts() >= 2, "retried: " + s);
          assertTrue(
              s.lastError().startsWith("TransferRejectedException: UNKNOWN_PARTITION"),
              s.lastError());
        });
  }

  @Test
  void corruptFrameFromTheLeaderFailsTheAttemptWithANamedErrorAndReconnects() throws Exception {
    // A fake leader that answers every connection with a frame header of an unknown type.
    Tcp.ServerBinding binding =
        Tcp.get(testKit.system())
            .bind("127.0.0.1", 0)
            .to(
                Sink.foreach(
                    conn ->
                        conn.handleWith(
                            Flow.fromSinkAndSource(
                                Sink.ignore(),
                                Source.single(
                                        ByteString.fromArray(
                                            new byte[] {0, 0, 0, 9, 66, 0, 0, 0, 0}))
                                    .concat(Source.maybe())),
                            testKit.system())))
            .run(testKit.system())
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    try {
      status = new FollowerStatus();
      IntFunction<Optional<InetSocketAddress>> fake = node -> Optional.of(binding.localAddress());
      follower = harness.startFollower(harness.followerSetup(PID, SETTINGS, status, fake));
      awaitStatus(
          s -> {
            assertTrue(s.attempts() >= 2, "reconnected: " + s);
            String error = s.lastError();
            assertTrue(error.startsWith("CorruptFrameException"), error);
            assertTrue(
                error.contains("orders-0") && error.contains("unknown frame type 66"), error);
          });
      harness.stopFollower(follower);
    } finally {
      binding.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
  }

  private void startFollower(Consumer<FollowerEvent> also) {
    startFollower(new AtomicReference<>(), also);
  }

  /**
   * Starts a follower whose attempts' events go to {@link #events} (the queue it is now, for the
   * follower's whole life) and {@code also}.
   */
  private void startFollower(
      AtomicReference<ActorRef<FollowerReplica.Command>> self, Consumer<FollowerEvent> also) {
    status = new FollowerStatus();
    ConcurrentLinkedQueue<FollowerEvent> recorded = events;
    FollowerSetup setup =
        harness
            .followerSetup(PID, SETTINGS, status)
            .withAttempts(
                (system, session, address, settings) ->
                    FollowerTransfer.attempt(system, session, address, settings)
                        .wireTap(
                            e -> {
                              recorded.add(e);
                              also.accept(e);
                            }));
    follower = harness.startFollower(setup);
    self.set(follower);
  }

  /** Appends a one-record batch of exactly {@code totalSize} bytes through the leader. */
  private void append(long totalSize) throws Exception {
    harness.appendBatchOfSize(PID, totalSize);
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

  /**
   * Waits until the tap recorded that the batch ending at {@code logEndOffset} was appended: its
   * {@code Appended} event, or, if the attempt that appended it ended before that event left its
   * stream, the next handshake from that log end. The log end alone is visible as soon as the
   * append is written, before the flush that precedes the step's events (and its last chunk's).
   */
  private void awaitBatchAppendedEvent(long logEndOffset) {
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(60),
            Duration.ofMillis(50),
            () -> {
              assertTrue(
                  events.stream()
                      .anyMatch(
                          e ->
                              e instanceof FollowerEvent.Appended a
                                      && a.logEndOffset() == logEndOffset
                                  || e instanceof FollowerEvent.Connecting c
                                      && c.hello().logEndOffset() == logEndOffset),
                  () -> "events: " + tail());
              return null;
            });
  }

  /** The length of the one oversized batch held in the follower's staging area. */
  private long stagedFileLength() throws IOException {
    try (Stream<Path> files = Files.list(followerLog.staging().dir())) {
      List<Path> staged =
          files
              .filter(f -> f.getFileName().toString().endsWith(".part"))
              .collect(Collectors.toList());
      assertEquals(1, staged.size(), "staged batches: " + staged);
      return Files.size(staged.get(0));
    }
  }

  private void awaitStatus(Consumer<FollowerStatus.Snapshot> ok) {
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(10),
            Duration.ofMillis(20),
            () -> {
              ok.accept(status.snapshot());
              return null;
            });
  }

  private String tail() {
    List<FollowerEvent> all = List.copyOf(events);
    return all.subList(Math.max(0, all.size() - 5), all.size()) + ", status " + status.snapshot();
  }

  private void assertSegmentsIdentical() throws Exception {
    LogFixtures.assertSegmentsIdentical(leaderLog.dir(), followerLog.dir());
  }

  private <T> List<T> all(Class<T> type) {
    return events.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
  }

  private long count(Class<?> type) {
    return events.stream().filter(type::isInstance).count();
  }
}
