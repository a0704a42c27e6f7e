package dev.sluice.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An idempotent producer's batch is written once although its answer was lost and its retry went to
 * another leader.
 *
 * <p>The failure simulated: the leader wrote batch {@link #DROPPED} and had it replicated to every
 * in-sync replica (acks=all), but its answer never reached the producer (a proxy between them,
 * {@link DroppingHttpProxy}, closed the connection after reading it); then the leader died (kill
 * -9) while the producer was retrying. The retry is held by the proxy until the leader is dead,
 * then goes to a surviving node, which redirects it (307, from the cluster's metadata) to the new
 * leader, elected among the followers. The new leader holds the batch, with the producer state
 * derived from it, so it answers {@code duplicate} with the original offsets instead of writing the
 * batch again.
 *
 * <p>Afterwards the killed node is restarted and catches up, and every replica's log is read from
 * its files: each (producer id, sequence) appears exactly once, in sequence order, every record the
 * producer had acknowledged is there exactly once, in the order it was sent, and the replicas are
 * byte-identical.
 *
 * <p>Plaintext cluster: the proxy reads HTTP, which it could not through TLS.
 */
class IdempotentRetryAcrossFailoverIT {
  private static final String TOPIC = "idem";
  private static final Duration FAILOVER = Duration.ofSeconds(90);
  private static final int RECORDS = 300;

  /** The produce request (counted from 1) whose answer is lost. */
  private static final int DROPPED = 5;

  @TempDir Path dir;
  private NodeCluster cluster;
  private DroppingHttpProxy proxy;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aBatchWhoseAnswerWasLostIsWrittenOnceAcrossALeaderFailover() throws Exception {
    cluster =
        NodeCluster.builder(dir)
            .plaintext()
            .set("sluice.replication.min-in-sync-replicas", "2")
            .start();
    cluster.createTopic(TOPIC, 1, 3, NodeCluster.STARTUP);
    TopicState.PartitionState before = cluster.awaitFullyInSync(TOPIC, FAILOVER).partition(0);
    int oldLeader = before.leader();
    int survivor = before.followers().get(0);

    proxy = new DroppingHttpProxy(cluster.api(oldLeader));
    proxy.dropAnswerOfProduceRequest(DROPPED);
    SluiceClient client = cluster.security().client(proxy.uri());
    List<SluiceProducer.BatchReport> reports = new CopyOnWriteArrayList<>();
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    try (SluiceProducer producer =
        SluiceProducer.builder(client)
            .acks(Acks.ALL)
            // About 10 records a batch, so that the dropped request is in the middle of the run.
            .batchBytes(400)
            .linger(Duration.ofMillis(1))
            // One batch in flight: when the answer is lost, nothing else is on its way.
            .maxInFlight(1)
            .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .deliveryTimeout(Duration.ofMinutes(3))
            .batchListener(reports::add)
            .build()) {
      assertTrue(producer.settings().idempotence(), "idempotence is on by default");
      for (int i = 0; i < RECORDS; i++) {
        sent.add(producer.send(TOPIC, 0, new ProduceRecord(null, value(i))));
      }
      assertTrue(
          proxy.awaitDropped(FAILOVER.toSeconds(), TimeUnit.SECONDS),
          "the answer of produce request "
              + DROPPED
              + " was dropped; requests seen: "
              + proxy.produceRequests());
      cluster.kill9(oldLeader);
      // The retry, held by the proxy until now, goes to a follower, which redirects it to
      // whichever node the cluster elects.
      proxy.retarget(cluster.api(survivor));
      producer.flush();
    }

    for (int i = 0; i < RECORDS; i++) {
      RecordMetadata m = sent.get(i).getNow(null);
      assertEquals(new RecordMetadata(TOPIC, 0, i), m, "record " + i + " at its own offset");
    }
    // One batch in flight at a time, resent before any later one: the reports after the lost
    // answer are that batch's attempts until one succeeds, and that one must be the duplicate.
    int lostAt = -1;
    for (int i = 0; i < reports.size() && lostAt < 0; i++) {
      if (reports.get(i).failure() != null) {
        lostAt = i;
      }
    }
    assertTrue(lostAt >= 0, "no attempt lost its answer: " + reports);
    SluiceProducer.BatchReport lost = reports.get(lostAt);
    assertEquals(1, lost.attempt(), "the first failure is the lost answer: " + lost);
    SluiceClientException noAnswer = assertInstanceOf(SluiceClientException.class, lost.failure());
    assertEquals(SluiceClientException.NO_STATUS, noAnswer.status(), noAnswer.getMessage());
    SluiceProducer.BatchReport answered =
        reports.stream()
            .skip(lostAt + 1)
            .filter(r -> r.failure() == null)
            .findFirst()
            .orElseThrow(() -> new AssertionError("the lost batch never succeeded: " + reports));
    assertTrue(answered.duplicate(), "the retry was answered as a duplicate: " + answered);
    assertTrue(answered.attempt() >= 2, "by a retry: " + answered);
    assertEquals(lost.records(), answered.records(), "the same batch");
    assertEquals(lost.bytes(), answered.bytes(), "the same batch");

    cluster.start(oldLeader);
    cluster.awaitStarted(oldLeader, NodeCluster.STARTUP);
    cluster.awaitMembersUp(cluster.nodes(), NodeCluster.STARTUP);
    cluster.awaitConverged(TOPIC, FAILOVER);
    assertEquals(List.of(), cluster.stopAll(Duration.ofSeconds(60)), "clean stop");

    try (ReplicaLogs logs = ReplicaLogs.open(cluster, TOPIC, 0, cluster.nodes())) {
      assertEquals(List.of(), logs.missing(), "nodes without a replica of the partition");
      ReplicaLogs.Comparison c = logs.compare();
      assertTrue(
          c.identical(),
          "the replicas are byte-identical below the high watermark "
              + c.highWatermark()
              + ": "
              + c.firstDifference().orElse(""));
      for (Map.Entry<Integer, PartitionLog> e : logs.logs().entrySet()) {
        checkReplica(e.getKey(), e.getValue());
      }
    }
  }

  /**
   * Reads the replica batch by batch: one producer id, sequences from 0 without a gap or a repeat,
   * and the records 0 to {@link #RECORDS} - 1, each once, in order.
   */
  private static void checkReplica(int node, PartitionLog log) throws Exception {
    String replica = "node " + node + "'s replica";
    assertEquals(RECORDS, log.logEndOffset(), replica + ": log end");
    Map<Long, Integer> nextSequence = new HashMap<>();
    Set<String> seen = new HashSet<>();
    List<String> values = new ArrayList<>();
    long offset = log.logStartOffset();
    while (offset < log.logEndOffset()) {
      long at0 = offset;
      ReplicaLogs.Batch batch =
          ReplicaLogs.Batch.containing(log, offset)
              .orElseThrow(() -> new AssertionError(replica + ": no batch at offset " + at0));
      ByteBuffer bytes = ByteBuffer.wrap(batch.bytes());
      BatchHeader header = BatchHeader.decode(bytes.duplicate());
      String at = replica + ", batch " + batch;
      assertTrue(header.producerId() >= 0, at + ": has a producer id");
      String key = header.producerId() + "/" + header.baseSequence();
      assertTrue(seen.add(key), at + ": (producer id, sequence) " + key + " appears twice");
      int expected = nextSequence.getOrDefault(header.producerId(), 0);
      assertEquals(expected, header.baseSequence(), at + ": sequence in order");
      nextSequence.put(
          header.producerId(), BatchHeader.incrementSequence(header.lastSequence(), 1));
      try (RecordReader reader = RecordReader.of(bytes.duplicate(), replica, 0)) {
        for (Record r : reader.readAll()) {
          values.add(new String(r.value(), UTF_8));
        }
      }
      offset = batch.lastOffset() + 1;
    }
    assertEquals(1, nextSequence.size(), replica + ": one producer id (no session was reset)");
    List<String> expectedValues = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      expectedValues.add(new String(value(i), UTF_8));
    }
    assertEquals(expectedValues, values, replica + ": every record once, in the order sent");
  }

  private static byte[] value(int i) {
    return ("record " + i).getBytes(UTF_8);
  }
}
