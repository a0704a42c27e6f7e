package dev.sluice.replication.transfer;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.sluice.config.BackoffSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.testing.LogCapture;
import dev.sluice.replication.leader.Assignment;
import dev.sluice.replication.leader.PartitionLeader;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.protocol.RejectReason;
import dev.sluice.replication.testing.ReplicationHarness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@link LeaderTransferServer} (through {@link ReplicationHarness}) against hand-written
 * peers on plain TCP: a peer that breaks a rule is refused and disconnected, reads no record it was
 * not entitled to, cannot move the high watermark, and leaves exactly one WARN naming the
 * partition, its address, the node it claims, the value and the limit.
 *
 * <p>Node 1 leads orders-0 and orders-1 with node 2 in sync; orders-0 holds 3 records that node 2
 * has not reported, so the high watermark is 0 and an acks=all wait for them stays pending unless a
 * report moves it.
 */
class DistrustfulLeaderTest {
  private static final int MiB = 1 << 20;
  private static final PartitionId A = new PartitionId("orders", 0);
  private static final PartitionId B = new PartitionId("orders", 1);
  private static final StorageSettings STORAGE = StorageSettings.of(8L * MiB, 4L * MiB);
  private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);
  private static final TransferSettings SETTINGS =
      new TransferSettings(
          MiB,
          Duration.ofMillis(200),
          Duration.ofSeconds(5),
          HANDSHAKE_TIMEOUT,
          new BackoffSettings(Duration.ofMillis(50), Duration.ofMillis(500), 0.1),
          0);
  private static final Duration WAIT = Duration.ofSeconds(15);

  static final ActorTestKit testKit = ActorTestKit.create();

  @TempDir Path tmp;
  private ReplicationHarness harness;
  private LogCapture serverLog;
  private CompletableFuture<PartitionLeader.CommitReply> committed;

  @BeforeEach
  void setUp() throws Exception {
    harness = ReplicationHarness.start(testKit, tmp, STORAGE, SETTINGS, List.of(A, B));
    harness.lead(1);
    for (int i = 0; i < 3; i++) {
      appendOne(A);
    }
    assertEquals(0, harness.leaderLog(A).highWatermark());
    committed = harness.leader(A).awaitCommitted(2, WAIT.multipliedBy(4)).toCompletableFuture();
    serverLog = LogCapture.of(LeaderTransferServer.class);
  }

  @AfterEach
  void tearDown() throws Exception {
    serverLog.close();
    harness.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aForgedHelloForANonFollowerReadsNothing() throws Exception {
    try (ForgedPeer peer = connect()) {
      peer.send(hello(5, A, 0));
      List<Frame> answer = peer.rest();
      assertEquals(List.of(RejectReason.NOT_A_FOLLOWER), rejections(answer), "answer " + answer);
      assertNoRecords(answer);
    }
    String warn = theOneWarning();
    assertContainsAll(
        warn, "orders-0", "from /127.0.0.1:", "(claims node 5)", "node 5 is not a follower");
    assertNothingCommitted();
  }

  @Test
  void aHelloForAnotherIncarnationOfTheTopicIsRefusedAndReadsNothing() throws Exception {
    harness.topicId(A, "id-recreated");
    try (ForgedPeer peer = connect()) {
      peer.send(hello(2, A, 0, "id-deleted"));
      List<Frame> answer = peer.rest();
      assertEquals(List.of(RejectReason.OTHER_TOPIC_ID), rejections(answer), "answer " + answer);
      assertNoRecords(answer);
      assertContainsAll(
          ((Frame.Rejected) answer.get(answer.size() - 1)).message(),
          "orders-0",
          "topic id id-deleted",
          "topic id id-recreated");
    }
    assertNothingCommitted();
  }

  @Test
  void aHelloOfTheSameIncarnationOrOfNoneIsServedAsBefore() throws Exception {
    harness.topicId(A, "id-current");
    try (ForgedPeer same = connect()) {
      same.send(hello(2, A, 0, "id-current"));
      assertEquals(0, firstBatches(same.until(Frame.Batches.class)).baseOffset());
    }
    try (ForgedPeer none = connect()) {
      none.send(hello(2, A, 0)); // a log created before topic ids existed names none
      assertEquals(0, firstBatches(none.until(Frame.Batches.class)).baseOffset());
    }
  }

  @Test
  void progressAboveTheLogEndClosesTheConnectionAndNeverMovesTheHighWatermark() throws Exception {
    try (ForgedPeer peer = connect()) {
      peer.send(hello(2, A, 0)); // plaintext cannot tell a forged node 2 from the real one
      peer.until(Frame.LeaderStatus.class);
      peer.send(new Frame.Progress(1000, 0));
      List<Frame> rest = peer.rest(); // ends: the leader closed the connection
      assertTrue(rejections(rest).isEmpty(), "closed without an answer: " + rest);
    }
    String warn = theOneWarning();
    assertContainsAll(
        warn,
        "orders-0",
        "from /127.0.0.1:",
        "(claims node 2)",
        "reported log end offset 1000, above this leader's log end offset 3");
    assertNothingCommitted();
  }

  @Test
  void oneByteFramesAreRefused() throws Exception {
    try (ForgedPeer peer = connect()) {
      peer.send(hello(2, A, 1));
      List<Frame> answer = peer.rest();
      assertEquals(List.of(RejectReason.FRAME_TOO_SMALL), rejections(answer), "answer " + answer);
      assertNoRecords(answer);
    }
    assertContainsAll(
        theOneWarning(),
        "orders-0",
        "from /127.0.0.1:",
        "(claims node 2)",
        "frames of at most 1 bytes asked, below the minimum 65536",
        "peer-max-bytes 1048576");
    assertNothingCommitted();
  }

  @Test
  void connectionsBeyondThePartitionsFollowedAreRefused() throws Exception {
    // The node's replica table says node 2 follows one partition here, though both list it.
    harness.partitionsFollowedBy(node -> node == ReplicationHarness.FOLLOWER_NODE ? 1 : 0);
    try (ForgedPeer first = connect();
        ForgedPeer second = connect()) {
      first.send(hello(2, A, 0));
      first.until(Frame.LeaderStatus.class);
      second.send(hello(2, B, 0));
      List<Frame> answer = second.rest();
      assertEquals(
          List.of(RejectReason.TOO_MANY_CONNECTIONS), rejections(answer), "answer " + answer);
      assertContainsAll(
          theOneWarning(),
          "orders-1",
          "from /127.0.0.1:",
          "(claims node 2)",
          "node 2 would hold 2 connections, but follows 1 partition(s) on this leader");
      // The admitted connection is still served: its records and heartbeats keep coming.
      first.until(Frame.Batches.class);
      first.until(Frame.LeaderStatus.class);
    }
  }

  @Test
  void aReconnectForTheSamePartitionReplacesTheOlderConnection() throws Exception {
    harness.partitionsFollowedBy(node -> 1);
    try (ForgedPeer older = connect();
        ForgedPeer newer = connect()) {
      older.send(hello(2, A, 0));
      older.until(Frame.LeaderStatus.class);
      newer.send(hello(2, A, 0));
      newer.until(Frame.LeaderStatus.class);
      List<Frame> rest = older.rest(); // the leader closed the half-open older one
      assertTrue(rejections(rest).isEmpty(), "closed without an answer: " + rest);
      newer.until(Frame.Batches.class); // the newer one is served
      newer.until(Frame.LeaderStatus.class);
    }
    assertEquals(List.of(), serverLog.messages(Level.WARN), "a reconnect is no violation");
  }

  @Test
  void aConnectionWithoutAHandshakeIsClosedAtTheDeadline() throws Exception {
    try (ForgedPeer silent = connect()) {
      assertEquals(List.of(), silent.rest());
    }
    assertContainsAll(
        theOneWarning(), "from /127.0.0.1:", "no handshake within 2000 ms (the handshake timeout)");
  }

  @Test
  void aFollowerRemovedFromTheAssignmentIsCutOffAtTheNextChange() throws Exception {
    try (ForgedPeer peer = connect()) {
      peer.send(hello(2, A, 0));
      peer.until(Frame.LeaderStatus.class);
      Assignment now = harness.leader(A).assignment();
      harness
          .leader(A)
          .assign(
              new Assignment(
                  now.leader(), now.leaderEpoch(), List.of(1, 3), List.of(1), now.version() + 1));
      appendOne(A); // wakes the caught-up stream
      List<Frame> rest = peer.rest();
      assertFalse(rest.isEmpty(), "answered before closing");
      Frame last = rest.get(rest.size() - 1);
      assertEquals(
          RejectReason.NOT_A_FOLLOWER,
          assertInstanceOf(Frame.Rejected.class, last).reason(),
          "ends with " + rest);
      assertTrue(
          rest.stream().noneMatch(f -> f instanceof Frame.Batches b && b.lastOffset() >= 3),
          "the record appended after the removal was not sent: " + rest);
    }
  }

  private ForgedPeer connect() throws Exception {
    return ForgedPeer.plaintext(harness.address(), SETTINGS.peerMaxBytes());
  }

  private static Frame.Hello hello(int node, PartitionId partition, int maxFrameBytes) {
    return new Frame.Hello(
        node,
        partition,
        0,
        -1,
        1,
        Frame.StagedPosition.NONE,
        maxFrameBytes,
        Frame.Hello.NO_TOPIC_ID);
  }

  private static Frame.Hello hello(
      int node, PartitionId partition, int maxFrameBytes, String topicId) {
    return new Frame.Hello(
        node, partition, 0, -1, 1, Frame.StagedPosition.NONE, maxFrameBytes, topicId);
  }

  private void appendOne(PartitionId id) throws Exception {
    byte[] value = "v".getBytes(StandardCharsets.UTF_8);
    harness.append(
        id, (log, epoch) -> log.appendRecords(List.of(Record.of(null, value, TIMESTAMP)), epoch));
  }

  private static List<RejectReason> rejections(List<Frame> frames) {
    return frames.stream()
        .filter(f -> f instanceof Frame.Rejected)
        .map(f -> ((Frame.Rejected) f).reason())
        .toList();
  }

  private static Frame.Batches firstBatches(List<Frame> frames) {
    assertTrue(rejections(frames).isEmpty(), "served: " + frames);
    return (Frame.Batches) frames.get(frames.size() - 1);
  }

  private static void assertNoRecords(List<Frame> frames) {
    assertTrue(
        frames.stream().noneMatch(f -> f instanceof Frame.Batches || f instanceof Frame.Chunk),
        "no record frame: " + frames);
  }

  /** Waits for the refusal's WARN, which is written when the connection has closed. */
  private String theOneWarning() {
    return testKit
        .createTestProbe()
        .awaitAssert(
            WAIT,
            () -> {
              List<String> warnings = List.copyOf(serverLog.messages(Level.WARN));
              assertEquals(1, warnings.size(), "one WARN: " + warnings);
              return warnings.get(0);
            });
  }

  private static void assertContainsAll(String line, String... parts) {
    for (String part : parts) {
      assertTrue(line.contains(part), "'" + part + "' in: " + line);
    }
  }

  private void assertNothingCommitted() {
    assertEquals(0, harness.leaderLog(A).highWatermark(), "high watermark");
    assertFalse(committed.isDone(), "acks=all wait still pending: " + committed);
  }
}
