package dev.sluice.replication.transfer;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.sluice.config.BackoffSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.testing.LogCapture;
import dev.sluice.log.testing.LogFixtures;
import dev.sluice.replication.follower.FollowerReplica;
import dev.sluice.replication.follower.FollowerStatus;
import dev.sluice.replication.leader.PartitionLeader;
import dev.sluice.replication.protocol.CorruptFrameException;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.protocol.RejectReason;
import dev.sluice.replication.testing.ReplicationHarness;
import dev.sluice.security.NodeIdentity;
import dev.sluice.security.TlsContext;
import dev.sluice.security.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication over mutual TLS with the test PKI's certificates: the production follower catches up
 * through a real {@link LeaderTransferServer}, and peers that are not who they must be are refused
 * during the TLS handshake or at the replication handshake. A refused peer reads no record, the
 * high watermark stays where it was (an acks=all wait stays pending), and the leader logs one WARN
 * naming the peer.
 *
 * <p>The leader is node 1 and the follower node 2, as in {@link ReplicationHarness}; engines come
 * from {@link TlsContext}, as a node builds them.
 */
class TlsTransferTest {
  private static final int MiB = 1 << 20;
  private static final PartitionId PID = new PartitionId("orders", 0);
  private static final StorageSettings STORAGE = StorageSettings.of(70L * MiB, 65L * MiB);
  private static final TransferSettings PLAIN =
      new TransferSettings(
          MiB,
          Duration.ofMillis(200),
          Duration.ofSeconds(5),
          Duration.ofSeconds(5),
          new BackoffSettings(Duration.ofMillis(50), Duration.ofMillis(500), 0.1),
          0);
  private static final Duration WAIT = Duration.ofSeconds(60);

  static final ActorTestKit testKit = ActorTestKit.create();
  static final TestPki pki = TestPki.shared();

  @TempDir Path tmp;
  private ReplicationHarness harness;
  private LogCapture serverLog;

  @AfterEach
  void tearDown() throws Exception {
    if (serverLog != null) {
      serverLog.close();
    }
    if (harness != null) {
      harness.close();
    }
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aFollowerCatchesUpOverTlsWithRecordsLargerThanPeerMaxBytes() throws Exception {
    start(1);
    for (int i = 0; i < 200; i++) {
      appendOne();
    }
    harness.appendBatchOfSize(PID, 64L * MiB); // 64 chunks of peer-max-bytes
    harness.appendBatchOfSize(PID, 3L * MiB / 2);
    for (int i = 0; i < 50; i++) {
      appendOne();
    }
    long end = harness.leaderLog(PID).logEndOffset();

    harness.startFollower(
        harness.followerSetup(PID, PLAIN.withSecurity(security(2)), new FollowerStatus()));

    awaitTrue(
        () -> harness.followerLog(PID).logEndOffset() == end,
        () -> "follower at " + harness.followerLog(PID).logEndOffset() + " of " + end);
    // Its progress reports came back over TLS too: everything is committed.
    awaitTrue(
        () -> harness.leaderLog(PID).highWatermark() == end,
        () -> "high watermark " + harness.leaderLog(PID).highWatermark() + " of " + end);
    LogFixtures.assertSegmentsIdentical(
        harness.leaderLog(PID).dir(), harness.followerLog(PID).dir());
    assertEquals(List.of(), serverLog.messages(Level.WARN));
  }

  @Test
  void aPlainTcpPeerReadsNothingFromATlsLeader() throws Exception {
    CompletableFuture<PartitionLeader.CommitReply> committed = startWithUncommittedRecords();
    try (ForgedPeer peer = ForgedPeer.plaintext(harness.address(), PLAIN.peerMaxBytes())) {
      peer.send(hello(2));
      assertNoFrames(peer);
    }
    assertContainsAll(theOneWarning(), "from /127.0.0.1:", "refused: TLS failed");
    assertNothingCommitted(committed);
  }

  @Test
  void aFollowerWithACertificateFromAnotherCaIsRefusedInTheHandshake() throws Exception {
    CompletableFuture<PartitionLeader.CommitReply> committed = startWithUncommittedRecords();
    try (ForgedPeer peer = forged(pki.foreignContext(2))) {
      peer.send(hello(2));
      assertNoFrames(peer);
    }
    assertContainsAll(theOneWarning(), "from /127.0.0.1:", "refused: TLS failed");
    assertNothingCommitted(committed);
  }

  @Test
  void aCertificateNamingNoNodeIsRefusedInTheHandshake() throws Exception {
    CompletableFuture<PartitionLeader.CommitReply> committed = startWithUncommittedRecords();
    try (ForgedPeer peer = forged(pki.noNodeUriContext())) {
      peer.send(hello(2));
      assertNoFrames(peer);
    }
    assertContainsAll(
        theOneWarning(),
        "from /127.0.0.1:",
        "refused: TLS failed",
        "the client certificate names no sluice node");
    assertNothingCommitted(committed);
  }

  @Test
  void aCertificateForNode3SendingHelloAsNode2IsRefusedWithPeerIdentity() throws Exception {
    CompletableFuture<PartitionLeader.CommitReply> committed = startWithUncommittedRecords();
    try (ForgedPeer peer = forged(pki.clientContext(3))) {
      assertTrue(peer.send(hello(2)), "the TLS handshake itself succeeds: node 3 is a member");
      List<Frame> answer = peer.rest();
      assertEquals(
          List.of(new Frame.Rejected(RejectReason.PEER_IDENTITY, identityDetail())),
          answer,
          "answer");
    }
    assertContainsAll(
        theOneWarning(),
        "replication orders-0 from /127.0.0.1:",
        "(certificate node 3)",
        "refused: " + identityDetail());
    assertNothingCommitted(committed);
  }

  @Test
  void theFollowerRefusesALeaderPresentingAnotherNodesCertificate() throws Exception {
    start(3); // node 3's key answers on the leader's address
    appendOne();
    try (LogCapture followerLog = LogCapture.of(FollowerReplica.class)) {
      harness.startFollower(
          harness.followerSetup(PID, PLAIN.withSecurity(security(2)), new FollowerStatus()));
      awaitTrue(
          () ->
              followerLog.messages(Level.INFO).stream()
                  .anyMatch(
                      m ->
                          m.contains("leader at 127.0.0.1:" + harness.address().getPort())
                              && m.contains("presented node 3's certificate; expected node 1")),
          () -> "follower log: " + followerLog.messages(Level.INFO));
    }
    assertEquals(0, harness.followerLog(PID).logEndOffset(), "nothing replicated");
    assertEquals(0, harness.leaderLog(PID).highWatermark(), "nothing committed");
  }

  /** Node {@code node}'s transport, as a node builds it from its TLS settings. */
  private static TransferSecurity security(int node) {
    TlsContext tls = TlsContext.load(pki.tlsSettings(node), node, Clock.systemUTC());
    return TransferSecurity.tls(
        () -> tls.serverEngine(true), tls::clientEngine, NodeIdentity::ofSession);
  }

  /** A harness whose leader presents node {@code leaderKey}'s certificate. */
  private void start(int leaderKey) throws Exception {
    harness =
        ReplicationHarness.start(
            testKit, tmp, STORAGE, PLAIN.withSecurity(security(leaderKey)), PID);
    harness.lead(1);
    serverLog = LogCapture.of(LeaderTransferServer.class);
  }

  /** Node 1 leads with 3 records node 2 has not reported: the high watermark is 0. */
  private CompletableFuture<PartitionLeader.CommitReply> startWithUncommittedRecords()
      throws Exception {
    start(1);
    for (int i = 0; i < 3; i++) {
      appendOne();
    }
    assertEquals(0, harness.leaderLog(PID).highWatermark());
    return harness.leader(PID).awaitCommitted(2, WAIT).toCompletableFuture();
  }

  private ForgedPeer forged(SSLContext context) throws Exception {
    return ForgedPeer.tls(context, harness.address(), PLAIN.peerMaxBytes());
  }

  private static Frame.Hello hello(int node) {
    return new Frame.Hello(node, PID, 0, -1, 1, Frame.StagedPosition.NONE);
  }

  private static String identityDetail() {
    return "handshake names node 2, but the certificate is node 3's";
  }

  private void appendOne() throws Exception {
    byte[] value = "v".getBytes(StandardCharsets.UTF_8);
    harness.append(
        PID, (log, epoch) -> log.appendRecords(List.of(Record.of(null, value, TIMESTAMP)), epoch));
  }

  /** The peer decodes no frame before the connection ends (TLS alerts are not frames). */
  private static void assertNoFrames(ForgedPeer peer) throws Exception {
    List<Frame> frames;
    try {
      frames = peer.rest();
    } catch (CorruptFrameException alertBytes) {
      frames = List.of(); // a plain peer reads the leader's TLS alert as garbage
    }
    assertEquals(List.of(), frames);
  }

  private void assertNothingCommitted(CompletableFuture<PartitionLeader.CommitReply> committed) {
    assertEquals(0, harness.leaderLog(PID).highWatermark(), "high watermark");
    assertFalse(committed.isDone(), "acks=all wait still pending: " + committed);
  }

  private String theOneWarning() {
    return testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(15),
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

  private static void awaitTrue(
      java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> why) {
    testKit
        .createTestProbe()
        .awaitAssert(
            WAIT,
            Duration.ofMillis(50),
            () -> {
              assertTrue(condition.getAsBoolean(), why);
              return null;
            });
  }
}
